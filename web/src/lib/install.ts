/**
 * The install commands shown with a freshly minted enrolment token. Linux uses the script the
 * server serves at /install.sh (agent/deploy/install.sh); Kubernetes uses the DaemonSet manifest
 * from agent/deploy/daemonset.yaml with the server's URL and agent release filled in.
 */

/** One line for a Linux host: download the installer from the server and enrol with the token. */
export function linuxInstallCommand(serverUrl: string, token: string): string {
  return `curl -fsSL ${serverUrl.replace(/\/+$/, '')}/install.sh | sudo sh -s -- --token ${token}`;
}

/**
 * The commands for a Kubernetes cluster, run from a checkout of the Flotilla repository: the
 * namespace, the token as a Secret, then the DaemonSet pointed at this server and release.
 */
export function kubernetesInstallCommands(serverUrl: string, token: string, agentVersion: string): string {
  const url = serverUrl.replace(/\/+$/, '');
  return [
    'kubectl create namespace flotilla',
    `kubectl -n flotilla create secret generic flotilla-agent-enrolment --from-literal=token=${token}`,
    `sed -e 's#https://flotilla.example.com#${url}#g' \\`,
    `    -e "s#FLOTILLA_VERSION, value: '[^']*'#FLOTILLA_VERSION, value: '${agentVersion}'#" \\`,
    '    agent/deploy/daemonset.yaml | kubectl apply -f -',
  ].join('\n');
}
