// The egress policy end to end against a real local server: what is refused by default, allow and
// deny rules, host names resolved by a test resolver (DNS rebinding), redirects checked per hop.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EgressDeniedError, EgressRules, createEgressFetch } from "../../src/net/egress-policy.js";
import type { EgressLookup, EgressPolicy } from "../../src/net/egress-policy.js";
import { startLocalServer } from "./local-http-server.js";
import type { LocalServer } from "./local-http-server.js";

/** Every name resolves to loopback, as a rebinding attacker's DNS would answer; the calls are counted. */
function loopbackLookup(calls: string[] = []): EgressLookup {
  return async (hostname) => {
    calls.push(hostname);
    return [{ address: "127.0.0.1", family: 4 }];
  };
}

async function get(policy: EgressPolicy, url: string, options: { lookup?: EgressLookup; init?: Parameters<ReturnType<typeof createEgressFetch>>[1] } = {}) {
  const fetcher = createEgressFetch(policy, options.lookup ? { lookup: options.lookup } : {});
  try {
    const response = await fetcher(url, options.init);
    return { status: response.status, url: response.url, text: await response.text() };
  } finally {
    await fetcher.destroy();
  }
}

function refused(check: () => void, rule: RegExp): void {
  assert.throws(check, (error: unknown) => {
    assert.ok(error instanceof EgressDeniedError, `expected EgressDeniedError, got ${String(error)}`);
    assert.equal(error.code, "EGRESS_DENIED");
    assert.equal(error.status, 403);
    assert.equal(error.retryable, false);
    assert.match(error.message, rule);
    return true;
  });
}

describe("egress policy against a local server", () => {
  let server: LocalServer;
  before(async () => {
    server = await startLocalServer((request, res) => {
      if (request.url.startsWith("/to/")) {
        res.writeHead(302, { location: decodeURIComponent(request.url.slice("/to/".length)) });
        res.end();
        return;
      }
      if (request.url === "/loop") {
        res.writeHead(307, { location: "/loop" });
        res.end();
        return;
      }
      if (request.url === "/see-other") {
        res.writeHead(303, { location: "/echo" });
        res.end();
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: request.method, url: request.url, host: request.headers.host, authorization: request.headers.authorization ?? null, body: request.body }));
    });
  });
  after(() => server.close());

  test("loopback is refused by default, by address and by name, and no request reaches the server", async () => {
    const before = server.requests.length;
    await assert.rejects(get({}, `${server.origin}/echo`), (error: unknown) => {
      assert.ok(error instanceof EgressDeniedError);
      assert.equal(error.message, "egress to 127.0.0.1 refused: loopback address (127.0.0.0/8) is refused by default; add an allow entry for the host or the address to reach it");
      assert.deepEqual(error.toJSON().details, { host: "127.0.0.1", address: "127.0.0.1", rule: error.rule });
      return true;
    });
    await assert.rejects(get({}, `http://localhost:${server.port}/echo`), { code: "EGRESS_DENIED", message: /^egress to localhost \((127\.0\.0\.1|::1)\) refused: loopback address/ });
    assert.equal(server.requests.length, before);
  });

  test("an allow entry for the address opens it", async () => {
    const answer = await get({ allow: ["127.0.0.1"] }, `${server.origin}/echo?x=1`);
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.text).url, "/echo?x=1");
    assert.equal((await get({ allow: ["127.0.0.0/8"] }, `${server.origin}/echo`)).status, 200);
  });

  test("IPv4-mapped, NAT64 and other IPv6 spellings of loopback are refused", async () => {
    const before = server.requests.length;
    await assert.rejects(get({}, `http://[::ffff:127.0.0.1]:${server.port}/echo`), { code: "EGRESS_DENIED", message: /egress to ::ffff:7f00:1 \(127\.0\.0\.1\) refused: loopback address/ });
    await assert.rejects(get({ allow: ["::ffff:0:0/96"] }, `http://[::ffff:7f00:1]:${server.port}/echo`), { code: "EGRESS_DENIED", message: /loopback/ }, "a rule on the mapped form does not open the IPv4 address");
    await assert.rejects(get({}, `http://[64:ff9b::7f00:1]:${server.port}/echo`), { code: "EGRESS_DENIED", message: /loopback address \(127\.0\.0\.0\/8\) \(carried in the NAT64 address 64:ff9b::7f00:1\)/ });
    await assert.rejects(get({}, `http://[::1]:${server.port}/echo`), { code: "EGRESS_DENIED", message: /loopback address \(::1\/128\)/ });
    // WHATWG URL parsing turns these into 127.0.0.1 before the check sees them.
    await assert.rejects(get({}, `http://2130706433:${server.port}/echo`), { code: "EGRESS_DENIED", message: /egress to 127\.0\.0\.1 refused/ });
    await assert.rejects(get({}, `http://0x7f.1:${server.port}/echo`), { code: "EGRESS_DENIED", message: /egress to 127\.0\.0\.1 refused/ });
    assert.equal(server.requests.length, before);
  });

  test("cloud metadata addresses are refused, even under a broad allow; only the address itself opens them", async () => {
    await assert.rejects(get({}, "http://169.254.169.254/latest/meta-data/"), { code: "EGRESS_DENIED", message: /cloud metadata address 169\.254\.169\.254/ });
    await assert.rejects(get({ allow: ["169.254.0.0/16", "0.0.0.0/0"] }, "http://169.254.169.254/latest/meta-data/"), { code: "EGRESS_DENIED", message: /cloud metadata/ });
    await assert.rejects(get({ allow: ["::/0"] }, "http://[fd00:ec2::254]/latest/meta-data/"), { code: "EGRESS_DENIED", message: /cloud metadata address fd00:ec2::254/ });
    const rules = EgressRules.compile({ allow: ["169.254.169.254"] });
    rules.checkAddress("169.254.169.254", "169.254.169.254");
    refused(() => EgressRules.compile({ allow: ["metadata.internal"] }).checkAddress("metadata.internal", "169.254.169.254"), /cloud metadata/);
  });

  test("a host name allow-list with a wildcard: names below it may resolve to loopback, others may not", async () => {
    const lookup = loopbackLookup();
    const policy = { allow: ["*.svc.test"] };
    const answer = await get(policy, `http://api.svc.test:${server.port}/echo`, { lookup });
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.text).host, `api.svc.test:${server.port}`, "the request names the host; only the connection uses the address");
    assert.equal((await get(policy, `http://deep.api.svc.test:${server.port}/echo`, { lookup })).status, 200);
    assert.equal((await get(policy, `http://API.SVC.TEST.:${server.port}/echo`, { lookup })).status, 200, "case and a trailing dot do not matter");
    await assert.rejects(get(policy, `http://svc.test:${server.port}/echo`, { lookup }), { code: "EGRESS_DENIED", message: /egress to svc\.test \(127\.0\.0\.1\) refused: loopback/ }, "the wildcard does not cover the name itself");
    await assert.rejects(get(policy, `http://rebound.example.com:${server.port}/echo`, { lookup }), { code: "EGRESS_DENIED", message: /egress to rebound\.example\.com \(127\.0\.0\.1\) refused: loopback/ });
  });

  test("the connection uses an address that passed: refused answers of the resolver are skipped", async () => {
    const lookup: EgressLookup = async () => [
      { address: "169.254.169.254", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ];
    assert.equal((await get({ allow: ["127.0.0.1"] }, `http://mixed.test:${server.port}/echo`, { lookup })).status, 200);
    await assert.rejects(get({}, `http://mixed.test:${server.port}/echo`, { lookup }), { code: "EGRESS_DENIED", message: /cloud metadata/ }, "with none allowed, the first refusal is reported");
  });

  test("deny wins over allow; a denied name is not even resolved", async () => {
    await assert.rejects(get({ allow: ["127.0.0.0/8"], deny: ["127.0.0.1"] }, `${server.origin}/echo`), { code: "EGRESS_DENIED", message: /denied by rule "127\.0\.0\.1"/ });
    const calls: string[] = [];
    await assert.rejects(get({ allow: ["127.0.0.1"], deny: ["*.svc.test"] }, `http://api.svc.test:${server.port}/echo`, { lookup: loopbackLookup(calls) }), {
      code: "EGRESS_DENIED",
      message: 'egress to api.svc.test refused: denied by rule "*.svc.test"',
    });
    assert.deepEqual(calls, []);
  });

  test("a redirect from an allowed host to a refused address is refused, and the target sees nothing", async () => {
    const lookup = loopbackLookup();
    const policy = { allow: ["*.svc.test"] };
    const before = server.requests.length;
    const internal = encodeURIComponent(`${server.origin}/internal`);
    await assert.rejects(get(policy, `http://api.svc.test:${server.port}/to/${internal}`, { lookup }), { code: "EGRESS_DENIED", message: /egress to 127\.0\.0\.1 refused: loopback/ });
    assert.deepEqual(server.requests.slice(before).map((r) => r.url), [`/to/${internal}`], "only the first hop arrived");
    await assert.rejects(get(policy, `http://api.svc.test:${server.port}/to/${encodeURIComponent("http://169.254.169.254/latest/meta-data/")}`, { lookup }), { code: "EGRESS_DENIED", message: /cloud metadata/ });
    await assert.rejects(get(policy, `http://api.svc.test:${server.port}/to/${encodeURIComponent("file:///etc/passwd")}`, { lookup }), { code: "EGRESS_DENIED", message: /scheme file: is not allowed/ });
  });

  test("allowed redirects are followed; credentials do not follow to another origin; 303 turns POST into GET", async () => {
    const lookup = loopbackLookup();
    const policy = { allow: ["*.svc.test"] };
    const other = encodeURIComponent(`http://other.svc.test:${server.port}/echo`);
    const fetcher = createEgressFetch(policy, { lookup });
    try {
      const response = await fetcher(`http://api.svc.test:${server.port}/to/${other}`, { headers: { authorization: "Bearer s3cret-value" } });
      assert.equal(response.url, `http://other.svc.test:${server.port}/echo`);
      const echoed = (await response.json()) as { host: string; authorization: string | null };
      assert.equal(echoed.host, `other.svc.test:${server.port}`);
      assert.equal(echoed.authorization, null);
      const same = await fetcher(`http://api.svc.test:${server.port}/to/${encodeURIComponent("/echo")}`, { headers: { authorization: "Bearer s3cret-value" } });
      assert.equal(((await same.json()) as { authorization: string }).authorization, "Bearer s3cret-value", "the same origin keeps them");
      const posted = await fetcher(`http://api.svc.test:${server.port}/see-other`, { method: "POST", body: "payload", headers: { "content-type": "text/plain" } });
      assert.deepEqual(await posted.json(), { method: "GET", url: "/echo", host: `api.svc.test:${server.port}`, authorization: null, body: "" });
      await assert.rejects(fetcher(`http://api.svc.test:${server.port}/loop`), { code: "NON_RETRYABLE", message: /redirected more than 5 times/ });
      const manual = await fetcher(`http://api.svc.test:${server.port}/loop`, { redirect: "manual" });
      assert.equal(manual.status, 307);
      await manual.body?.cancel();
    } finally {
      await fetcher.destroy();
    }
  });

  test("only http and https are fetched", async () => {
    await assert.rejects(get({ allow: ["0.0.0.0/0"] }, "file:///etc/passwd"), { code: "EGRESS_DENIED", message: /scheme file: is not allowed/ });
    await assert.rejects(get({}, "data:text/plain,hello"), { code: "EGRESS_DENIED", message: /scheme data: is not allowed/ });
  });
});

describe("egress rules", () => {
  test("the default refusals, and public addresses passing", () => {
    const rules = EgressRules.compile({});
    const cases: Array<[string, RegExp]> = [
      ["0.0.0.0", /unspecified/],
      ["10.1.2.3", /private address \(RFC 1918\) \(10\.0\.0\.0\/8\)/],
      ["172.16.5.4", /RFC 1918/],
      ["192.168.1.1", /RFC 1918/],
      ["100.64.0.1", /carrier-grade NAT/],
      ["169.254.10.10", /link-local address \(169\.254\.0\.0\/16\)/],
      ["224.0.0.1", /multicast/],
      ["255.255.255.255", /reserved/],
      ["::", /unspecified/],
      ["fe80::1", /link-local address \(fe80::\/10\)/],
      ["fc00::1", /unique local/],
      ["fd12:3456::1", /unique local/],
      ["ff02::1", /multicast/],
      ["::ffff:10.0.0.1", /RFC 1918/],
      ["::ffff:169.254.169.254", /cloud metadata/],
      ["::7f00:1", /loopback .*IPv4-compatible/],
      ["2002:7f00:1::", /loopback .*6to4/],
      ["64:ff9b::a9fe:a9fe", /cloud metadata/],
    ];
    for (const [address, rule] of cases) refused(() => rules.checkAddress("host.example", address), rule);
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]) rules.checkAddress("host.example", address);
  });

  test('deny: ["*"] makes allow an allow-list', () => {
    const rules = EgressRules.compile({ allow: ["api.example.com", "203.0.113.0/24"], deny: ["*"] });
    rules.checkAddress("api.example.com", "93.184.216.34");
    rules.checkAddress("203.0.113.7", "203.0.113.7");
    refused(() => rules.checkAddress("other.example.com", "93.184.216.34"), /no allow entry names it/);
    refused(() => rules.checkAddress("8.8.8.8", "8.8.8.8"), /no allow entry names it/);
  });

  test("a host name rule does not match an IP literal, and a host allow opens private addresses only for that host", () => {
    const rules = EgressRules.compile({ allow: ["db.corp.test"] });
    rules.checkAddress("db.corp.test", "10.0.0.5");
    refused(() => rules.checkAddress("other.corp.test", "10.0.0.5"), /RFC 1918/);
    refused(() => rules.checkAddress("10.0.0.5", "10.0.0.5"), /RFC 1918/);
  });

  test("bad entries are config errors naming their path", () => {
    const cases: Array<[EgressPolicy, string, RegExp]> = [
      [{ allow: ["*"] }, "egress.allow[0]", /"\*" may only be a deny entry/],
      [{ allow: ["10.0.0.1/8"] }, "egress.allow[0]", /host bits zero/],
      [{ deny: ["ok.example.com", "http://example.com"] }, "egress.deny[1]", /no scheme, port or path/],
      [{ deny: ["example.com:8080"] }, "egress.deny[0]", /no scheme, port or path/],
      [{ allow: ["1.2.3"] }, "egress.allow[0]", /not an IP address or a CIDR/],
      [{ allow: "127.0.0.1" as unknown as string[] }, "egress.allow", /must be a list/],
    ];
    for (const [policy, path, message] of cases) {
      assert.throws(() => EgressRules.compile(policy), (error: unknown) => {
        assert.equal((error as { code?: string }).code, "CONFIG_INVALID");
        assert.equal((error as { details: { path: string } }).details.path, path);
        assert.match((error as Error).message, message);
        return true;
      });
    }
  });
});
