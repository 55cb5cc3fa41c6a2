import { spawn } from 'node:child_process';
import { createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';

// Drives examples/network_wordcount.ts as a user would (nc -lk + npx tsx), through a TCP server
// on a free port, and checks the pprint output of the batches.
const root = join(__dirname, '..', '..');

function listen(): Promise<{ server: Server; port: number; clients: Socket[] }> {
  const clients: Socket[] = [];
  const server = createServer((s) => clients.push(s));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port, clients }),
    ),
  );
}

test('network_wordcount counts typed lines every second in pprint format', async () => {
  const { server, port, clients } = await listen();
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/network_wordcount.ts', '127.0.0.1', String(port)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  try {
    const deadline = Date.now() + 30000;
    while (clients.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(clients.length).toBe(1);
    clients[0].write('to be or not to be\nthat is\n');
    while (!/\('be', 2\)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // One batch holds both lines (they arrive within one interval): its block, character for character.
    const block = out
      .split('-------------------------------------------\nTime: ')
      .find((b) => b.includes("('to', 2)"));
    expect(block).toBeDefined();
    const body = (block as string).split('\n');
    expect(body[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(body[1]).toBe('-------------------------------------------');
    expect(body.slice(2, 8).sort()).toEqual([
      "('be', 2)",
      "('is', 1)",
      "('not', 1)",
      "('or', 1)",
      "('that', 1)",
      "('to', 2)",
    ]);
    expect(body[8]).toBe('');
    // Empty batches still print their header, as PySpark's pprint does.
    const before = out.length;
    while (out.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/^-{43}\nTime: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n-{43}\n\n/m);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    for (const c of clients) c.destroy();
    await new Promise((r) => server.close(r));
  }
  expect(err).not.toMatch(/Error/);
}, 60000);
