/**
 * Debian's docker client, matching the docker.io 20.10 daemon. Not `docker`
 * from PATH: /usr/local/bin/docker on these machines is a 28.x client that
 * comes first on PATH and differs in flags, output and API negotiation.
 * Its own module, free of vitest, so the globalSetup can import it too.
 */
export const DOCKER_CLI = '/usr/bin/docker';
