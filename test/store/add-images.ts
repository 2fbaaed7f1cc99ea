/**
 * Run as its own process by store-processes.test.ts (through vite-node):
 * `add-images.ts ROOT NAME COUNT` adds COUNT small tagged images to the store.
 */
import { Store } from '../../src/store/store.js';
import { addTestImage } from '../helpers/images.js';

const [root, name, count] = process.argv.slice(2) as [string, string, string];
const store = await Store.open(root);
for (let i = 0; i < Number(count); i++)
  await addTestImage(store, {
    layers: [{ [`${name}-${i}`]: `${name} ${i}` }],
    tags: [`${name}:${i}`],
  });
