"""The cluster side: kubeconfig and the Kubernetes client, the helm runner, preflight checks and
the Check type they report."""
