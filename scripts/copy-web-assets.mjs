// Copies the demo storefront's static files next to its compiled module (dist/web/storefront/web).
import { copyFileSync, mkdirSync } from 'node:fs';

const target = 'dist/web/storefront/web';
mkdirSync(target, { recursive: true });
for (const file of ['index.html', 'styles.css']) copyFileSync(`src/storefront/web/${file}`, `${target}/${file}`);
