"""What every user of a shared-mode hub is told, in French and English: on every hub page
(configure.template_vars), in JupyterLab's top bar (custom CSS the SharedSpawner writes into the
workspace's home) and by `agora check`. No JupyterHub import, so `agora check` stays light."""

from __future__ import annotations

import os

SHARED_MODE_WARNING = {
    "en": "Shared mode: workspaces are not isolated from each other; other users' code can "
          "read your files and use your rights. For demos only.",
    "fr": "Mode partagé : les espaces de travail ne sont pas isolés les uns des autres ; le "
          "code d'autres utilisateurs peut lire vos fichiers et agir avec vos droits. "
          "Réservé aux démonstrations.",
}
SHARED_MODE_ANNOUNCEMENT = (
    f'<strong lang="fr">{SHARED_MODE_WARNING["fr"]}</strong><br>'
    f'<strong lang="en">{SHARED_MODE_WARNING["en"]}</strong>')
SHARED_MODE_LAB_LABEL = "⚠ Mode partagé : espaces non isolés · Shared mode: users not isolated"
SHARED_MODE_CSS_MARK = "/* agora: shared-mode banner */"


def css_string(text: str) -> str:
    """`text` as a quoted CSS string in plain ASCII (the custom CSS is served without charset);
    the space after each escape ends it and is not shown."""
    return '"' + "".join(c if c.isascii() and c not in '"\\' else f"\\{ord(c):X} "
                         for c in text) + '"'


SHARED_MODE_CSS = f"""{SHARED_MODE_CSS_MARK}
#jp-top-panel::after {{
  content: {css_string(SHARED_MODE_LAB_LABEL)};
  position: absolute; right: 8px; top: 3px; padding: 2px 8px; border-radius: 3px;
  background: #b3261e; color: #fff; font: bold 12px/18px sans-serif; z-index: 100;
}}
{SHARED_MODE_CSS_MARK}
"""


def write_shared_mode_css(home: str) -> None:
    """Put the shared-mode banner in `home`'s JupyterLab custom CSS, keeping the user's own rules."""
    folder = os.path.join(home, ".jupyter", "custom")
    os.makedirs(folder, 0o700, exist_ok=True)
    path = os.path.join(folder, "custom.css")
    own = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            own = f.read()
        if SHARED_MODE_CSS_MARK in own:  # ours already (or the user's copy of it)
            own = own.split(SHARED_MODE_CSS_MARK)[-1].lstrip("\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(SHARED_MODE_CSS + own)

