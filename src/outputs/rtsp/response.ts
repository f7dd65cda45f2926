/** RTSP responses (RFC 2326 §7): status line, CSeq, the server's headers, an optional body. */

export const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  429: 'Too Many Requests',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

export function formatResponse(
  status: number,
  cseq: string | undefined,
  headers: readonly (readonly [string, string])[] = [],
  body?: string,
): Buffer {
  const lines = [`RTSP/1.0 ${status} ${REASONS[status] ?? 'Error'}`];
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  lines.push('Server: camrelay');
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  const bytes = body === undefined ? undefined : Buffer.from(body, 'utf8');
  if (bytes) lines.push(`Content-Length: ${bytes.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return bytes ? Buffer.concat([head, bytes]) : head;
}
