"""An in-process Kubernetes API emulator that the real helm binary and the kubernetes client accept.

Entry points: `SimServer` (server.py), `simulated_cluster()` (demo.py), the scenario registry
(scenarios.py). Never imports Textual.
"""
import logging

# The emulator logs its own failures; without a handler Python would print them to stderr, which
# may be the wizard's screen. Applications that want them configure the "gaie_tui.sim" logger.
logging.getLogger("gaie_tui.sim").addHandler(logging.NullHandler())
