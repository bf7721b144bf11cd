import { open, readFile } from 'node:fs/promises';

/** The shape of storage-service/data/dummy-data.json's products, with names and categories taken from it. */
export interface Product {
  id: string;
  name: string;
  category: string;
  price: { amount: number; currency: string };
  quantity: number;
  sku: string;
  active: boolean;
}

const DUMMY_DATA = new URL('../../storage-service/data/dummy-data.json', import.meta.url);

/** The shipped products, the templates of the generated ones. */
export async function productTemplates(): Promise<Product[]> {
  const data = JSON.parse(await readFile(DUMMY_DATA, 'utf8')) as { products: Record<string, Product> };
  return Object.values(data.products);
}

/** mulberry32: a small seeded PRNG, so a size always generates the same file. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Partition keys of a generated file: products-1 … products-N. */
export const partitionKeys = (partitions: number): string[] => Array.from({ length: partitions }, (_, i) => `products-${i + 1}`);

/** Item ids are p-0000001 … (unique over the whole file, not just a partition). */
export const itemId = (n: number): string => `p-${String(n).padStart(7, '0')}`;

/**
 * Writes a storage-service data file of `items` products spread evenly over `partitions` partitions,
 * in chunks (a million items is ~150 MB: never one string). Returns the bytes written.
 */
export async function writeDataFile(file: string, items: number, partitions = 4, seed = 1): Promise<number> {
  const templates = await productTemplates();
  const random = seeded(seed);
  const keys = partitionKeys(partitions);
  const handle = await open(file, 'w');
  let bytes = 0;
  let chunk = '';
  const flush = async () => {
    bytes += (await handle.write(chunk)).bytesWritten;
    chunk = '';
  };
  try {
    let n = 0;
    chunk += '{';
    for (const [p, key] of keys.entries()) {
      // The first (items % partitions) partitions take one more.
      const count = Math.floor(items / partitions) + (p < items % partitions ? 1 : 0);
      chunk += `${p ? ',' : ''}\n${JSON.stringify(key)}:{`;
      for (let i = 0; i < count; i++) {
        n++;
        const template = templates[Math.floor(random() * templates.length)]!;
        const product: Product = {
          id: itemId(n),
          name: template.name,
          category: template.category,
          price: { amount: Math.round(random() * 20000) / 100, currency: 'EUR' },
          quantity: Math.floor(random() * 500),
          sku: `SKU-${String(Math.floor(random() * 1e6)).padStart(6, '0')}`,
          active: random() < 0.9,
        };
        chunk += `${i ? ',' : ''}\n${JSON.stringify(product.id)}:${JSON.stringify(product)}`;
        if (chunk.length > 1 << 20) await flush();
      }
      chunk += '}';
    }
    chunk += '}\n';
    await flush();
  } finally {
    await handle.close();
  }
  return bytes;
}
