"""An in-process Kubernetes API emulator that the real helm binary and the kubernetes client accept.

Entry points: `SimServer` (server.py), `simulated_cluster()` (demo.py), the scenario registry
(scenarios.py). Never imports Textual.
"""
