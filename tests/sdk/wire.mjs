// What the SDK suites read off the wire and off the server: a fetch that records every exchange
// a client makes (its HTTP method, JSON-RPC method, protocol and session headers both ways,
// status), and one sample of mcpgate's /metrics text.

const header = (headers, name) => {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
};

// wireSpy(): { fetch, exchanges }. Pass `fetch` to a transport's options; every exchange it made
// is in `exchanges` once its answer's headers arrived.
export function wireSpy() {
  const exchanges = [];
  const spyFetch = async (url, init = {}) => {
    let rpcMethod;
    if (typeof init.body === 'string') {
      try { rpcMethod = JSON.parse(init.body)?.method; } catch { /* not JSON */ }
    }
    const response = await fetch(url, init);
    exchanges.push({
      url: String(url),
      httpMethod: init.method ?? 'GET',
      rpcMethod,
      protocolHeader: header(init.headers, 'mcp-protocol-version'),
      requestSession: header(init.headers, 'mcp-session-id'),
      responseSession: response.headers.get('mcp-session-id') ?? undefined,
      status: response.status,
    });
    return response;
  };
  return { fetch: spyFetch, exchanges };
}

// metric(TEXT, NAME, LABELS): the value of the sample NAME{LABELS} in a Prometheus text
// exposition ('' labels: the sample without any); undefined when it is not there.
export function metric(text, name, labels = '') {
  const wanted = labels === '' ? name : `${name}{${labels}}`;
  for (const line of text.split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space > 0 && line.slice(0, space) === wanted) return Number(line.slice(space + 1));
  }
  return undefined;
}
