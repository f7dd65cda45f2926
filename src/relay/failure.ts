/**
 * Why an edge could not reach its hub, in a few classes an operator can act
 * on, each with a hint. Pure: the edge feeds it what ws reported.
 */

export type FailureClass = 'dns' | 'tls' | 'auth' | 'refused' | 'unreachable' | 'http' | 'protocol' | 'other';

export interface Failure {
  class: FailureClass;
  /** What happened, for the log. */
  reason: string;
  /** What to check. */
  hint?: string;
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME|EPROTO/;

export function classifyError(err: Error & { code?: string }, host: string): Failure {
  const code = err.code ?? '';
  const reason = code ? `${code}: ${err.message}` : err.message;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') {
    return { class: 'dns', reason, hint: `cannot resolve "${host}": check the hub's name and this machine's DNS` };
  }
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(err.message)) {
    return {
      class: 'tls',
      reason,
      hint: /EPROTO|wrong version/i.test(reason)
        ? "the hub does not speak TLS on this port: use ws:// or the hub's TLS port"
        : "the hub's certificate is not trusted for this name: pass --ca FILE (publish.ca) with the CA that signed it",
    };
  }
  if (code === 'ECONNREFUSED')
    return { class: 'refused', reason, hint: `nothing listens at ${host}: is the hub running, and is the port right?` };
  if (
    ['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EPIPE'].includes(code) ||
    /handshake has timed out/i.test(err.message)
  ) {
    return { class: 'unreachable', reason, hint: 'the network to the hub is down or a firewall drops the connection' };
  }
  return { class: 'other', reason };
}

/** The hub answered the upgrade with a plain HTTP response. */
export function classifyStatus(status: number, message: string | undefined): Failure {
  const reason = `HTTP ${status}${message ? `: ${message}` : ''}`;
  if (status === 401 || status === 403) {
    return {
      class: 'auth',
      reason,
      hint: "check --name and --token against the hub's publishers (camrelay hash-token makes the pair)",
    };
  }
  if (status === 404)
    return {
      class: 'http',
      reason,
      hint: 'the hub has no /api/publish: is it camrelay with publishers configured, and is the URL right?',
    };
  return { class: 'http', reason };
}
