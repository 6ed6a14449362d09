"""Display names of the topic slugs (docs/content-guide.md), for menus in both languages."""

from __future__ import annotations

from bot.i18n import _

TOPIC_NAMES: dict[str, str] = {
    "camdigikey": _("CamDigiKey digital ID"),
    "passport": _("Passport"),
    "id-card": _("National ID card"),
    "civil-registration": _("Birth, marriage and death certificates"),
    "driving-licence": _("Driving licence and vehicles"),
    "verify": _("Check an official document (verify.gov.kh)"),
    "bakong": _("Bakong and KHQR payments"),
    "scam-warnings": _("Scam warnings"),
    "evisa": _("e-Visa"),
    "e-arrival": _("e-Arrival card"),
    "business-registration": _("Register a business"),
    "tax": _("Tax (e-Tax)"),
    "camdx": _("CamDX data exchange"),
    "xr-training": _("XR training"),
    "ict-convergence-village": _("ASEAN–ROK ICT Convergence Village"),
    "metaverse-contest": _("Youth Metaverse Idea Contest"),
    "techo-scholarship": _("Techo digital talent scholarship"),
    "cadt": _("CADT academy"),
    "digital-skills-loan": _("Interest-free study loans"),
    "koica-fellowship": _("KOICA fellowships"),
    "digital-government-policy": _("Digital Government Policy"),
    "digital-economy-framework": _("Digital Economy Framework"),
    "egov-ranking": _("E-government rankings"),
    "about-bot": _("About this bot"),
    "privacy": _("Privacy"),
    "contact": _("Contact a person"),
    "greeting": _("Greetings"),
}
