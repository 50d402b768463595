/**
 * The install commands shown with a freshly minted enrolment token. Linux: Vector first (the
 * agent supervises it but does not install it), then the script the server serves at /install.sh
 * (agent/deploy/install.sh). Kubernetes: the token as a Secret, then the DaemonSet the server
 * serves at /deploy/daemonset.yaml with its URL, the agent release and the group filled in.
 */

/** Vector's one-line installer, from vector.dev's "Install Vector" page. */
export const VECTOR_INSTALL_COMMAND = "curl --proto '=https' --tlsv1.2 -sSfL https://sh.vector.dev | bash";

/** Where Vector's other ways to install (apt, dnf, …) are described. */
export const VECTOR_PACKAGES_URL = 'https://vector.dev/docs/setup/installation/package-managers/';

/** The namespace and Secret the served DaemonSet reads the enrolment token from. */
export const KUBERNETES_NAMESPACE = 'flotilla';
export const KUBERNETES_SECRET = 'flotilla-agent-enrolment';

const base = (serverUrl: string) => serverUrl.replace(/\/+$/, '');

/** One line for a Linux host: download the installer from the server and enrol with the token. */
export function linuxInstallCommand(serverUrl: string, token: string): string {
  return `curl -fsSL ${base(serverUrl)}/install.sh | sudo sh -s -- --token ${token}`;
}

/** Both steps for a Linux host: install Vector (skip when it is installed), then the agent. */
export function linuxInstallScript(serverUrl: string, token: string): string {
  return [
    '# 1. Vector (skip if `vector --version` already works)',
    VECTOR_INSTALL_COMMAND,
    '# 2. The Flotilla agent: installs, enrols and starts flotilla-agent.service',
    linuxInstallCommand(serverUrl, token),
  ].join('\n');
}

/**
 * The commands for a Kubernetes cluster: the namespace, the token as a Secret, then the DaemonSet
 * the server renders for group `groupSlug` (its URL and agent release filled in).
 */
export function kubernetesInstallCommands(serverUrl: string, token: string, groupSlug: string): string {
  return [
    `kubectl create namespace ${KUBERNETES_NAMESPACE}`,
    `kubectl -n ${KUBERNETES_NAMESPACE} create secret generic ${KUBERNETES_SECRET} --from-literal=token=${token}`,
    `kubectl apply -f '${base(serverUrl)}/deploy/daemonset.yaml?group=${encodeURIComponent(groupSlug)}'`,
  ].join('\n');
}
