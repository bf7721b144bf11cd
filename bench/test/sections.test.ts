import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { DataFile } from '../../storage-service/src/schemas.ts';
import { itemId, partitionKeys, productTemplates, writeDataFile } from '../src/data-gen.ts';
import { getRaw, startNodeProcess } from '../src/server-process.ts';

// The pure parts of the data-size and storage-vs-bare benchmarks; never timings.

const BARE_ENTRY = fileURLToPath(new URL('../src/bare-server.ts', import.meta.url));
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-sections-test-'));
});
test.after.always(() => rm(dir, { recursive: true, force: true }));

test('data generator: N unique ids spread over the partitions, a file storage-service’s schema accepts', async (t) => {
  const file = join(dir, 'data.json');
  const bytes = await writeDataFile(file, 1003, 4);
  t.is((await stat(file)).size, bytes);
  const parsed = DataFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) return t.fail(parsed.error.message);
  const data = parsed.data;
  t.deepEqual(Object.keys(data), partitionKeys(4));
  t.deepEqual(Object.values(data).map((partition) => Object.keys(partition).length), [251, 251, 251, 250]);
  const ids = Object.values(data).flatMap((partition) => Object.keys(partition));
  t.is(new Set(ids).size, 1003);
  t.deepEqual([ids[0], ids.at(-1)], [itemId(1), itemId(1003)]);
  // Shaped like the shipped products: the same fields, each item's own id inside.
  const fields = Object.keys((await productTemplates())[0]!).sort();
  for (const partition of Object.values(data)) {
    for (const [id, item] of Object.entries(partition)) {
      t.is(item.id, id);
      t.deepEqual(Object.keys(item).sort(), fields);
    }
  }
});

test('data generator: the same size and seed write the same bytes', async (t) => {
  await writeDataFile(join(dir, 'a.json'), 50);
  await writeDataFile(join(dir, 'b.json'), 50);
  t.deepEqual(await readFile(join(dir, 'a.json')), await readFile(join(dir, 'b.json')));
});

test('bare server: answers exactly the bytes and Content-Type it was given, 404 elsewhere', async (t) => {
  const item = Buffer.from('{"id":"p-1","name":"Caf\u00e9 \u2615"}');
  const listing = Buffer.from('{"partition":"products","ids":["p-1"]}');
  const answersFile = join(dir, 'answers.json');
  await writeFile(
    answersFile,
    JSON.stringify({
      '/data/products/p-1': { contentType: 'application/json; charset=utf-8', body: item.toString('base64') },
      '/data/products': { contentType: 'application/json; charset=utf-8', body: listing.toString('base64') },
    }),
  );
  const bare = await startNodeProcess(BARE_ENTRY, { args: [answersFile], stdoutFile: join(dir, 'bare.log') });
  try {
    const [a, b, missing] = await Promise.all([getRaw(`${bare.url}/data/products/p-1`), getRaw(`${bare.url}/data/products`), getRaw(`${bare.url}/data/products/p-2`)]);
    t.like(a, { status: 200, contentType: 'application/json; charset=utf-8' });
    t.true(a.body.equals(item));
    t.like(b, { status: 200, contentType: 'application/json; charset=utf-8' });
    t.true(b.body.equals(listing));
    t.is(missing.status, 404);
    t.true((await bare.rssMiB()) > 0);
  } finally {
    await bare.stop();
  }
});
