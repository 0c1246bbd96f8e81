from __future__ import annotations

from PySide6.QtCore import Qt

from console.domain.environment import Environment
from console.services.dto import OrganisationInfo, WorkspaceStatus
from console.ui import theme
from console.ui.banner import EnvironmentBannerWidget

ORGS = (
    OrganisationInfo(1, "Gemeente Voorbeeld", "00000099123456780000", "gemeente"),
    OrganisationInfo(2, "Gemeente Proefdorp", "00000099876543210000", "gemeente"),
)


def status(env: Environment, *, demo: bool = False, orgs=ORGS[:1]) -> WorkspaceStatus:
    return WorkspaceStatus(
        environment=env,
        connection_id=1,
        connection_name="Logius preprod" if not demo else "Demo-simulator",
        organisation_id=orgs[0].id,
        organisation_name=orgs[0].name,
        organisation_oin=orgs[0].oin,
        is_demo=demo,
        organisations=tuple(orgs),
    )


def make_banner(qtbot, st: WorkspaceStatus) -> EnvironmentBannerWidget:
    banner = EnvironmentBannerWidget()
    qtbot.addWidget(banner)
    banner.set_status(st)
    banner.show()
    return banner


def test_simulator_badge_word_colour_and_demo_notice(qtbot):
    banner = make_banner(qtbot, status(Environment.SIMULATOR, demo=True))
    assert banner.badge.text() == "SIMULATOR"
    assert theme.ENVIRONMENT_COLOURS[Environment.SIMULATOR].badge_background in (
        banner.badge.styleSheet()
    )
    assert banner.demo_label.isVisible()
    assert "niet naar Logius" in banner.demo_label.text()
    assert banner.organisation_label.text() == "Gemeente Voorbeeld"
    assert "00000099123456780000" in banner.oin_label.text()
    assert banner.connection_label.text() == "Koppeling: Demo-simulator"


def test_production_badge_is_red_with_white_text_and_no_demo_notice(qtbot):
    banner = make_banner(qtbot, status(Environment.PRODUCTIE))
    sheet = banner.badge.styleSheet()
    assert banner.badge.text() == "PRODUCTIE"
    assert "#C4221B" in sheet and "#FFFFFF" in sheet
    assert not banner.demo_label.isVisible()
    assert banner.badge.accessibleName() == "Omgeving: PRODUCTIE"


def test_preprod_badge_is_amber(qtbot):
    banner = make_banner(qtbot, status(Environment.PREPROD))
    assert banner.badge.text() == "PREPROD"
    assert theme.ENVIRONMENT_COLOURS[Environment.PREPROD].badge_background in (
        banner.badge.styleSheet()
    )


def test_badge_pixels_carry_the_environment_colour(qtbot):
    banner = make_banner(qtbot, status(Environment.PRODUCTIE))
    image = banner.badge.grab().toImage()
    centre_left = image.pixelColor(4, image.height() // 2)
    assert centre_left.name().upper() == "#C4221B"


def test_several_organisations_give_a_selector(qtbot):
    banner = make_banner(qtbot, status(Environment.SIMULATOR, orgs=ORGS))
    assert banner.organisation_combo.isVisible()
    assert not banner.organisation_label.isVisible()
    assert banner.organisation_combo.count() == 2
    with qtbot.waitSignal(banner.organisationChanged) as blocker:
        banner.organisation_combo.setCurrentIndex(1)
        banner.organisation_combo.activated.emit(1)
    assert blocker.args == [2]
    assert "00000099876543210000" in banner.oin_label.text()
    assert banner.current_organisation_id() == 2


def test_oin_is_selectable_for_copying(qtbot):
    banner = make_banner(qtbot, status(Environment.SIMULATOR))
    flags = banner.oin_label.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard
