// Builds and packs the typed client (clients/typescript) the way it is published, then unpacks
// the tarball into var/client/node_modules, where the end-to-end test imports it from.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

const PACKAGE = 'clients/typescript';
const UNPACKED = 'var/client/node_modules/@fitness-app/account-client';

const specVersion = yaml.load(readFileSync('openapi.yaml', 'utf8')).info.version;
const { version } = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'));
if (version !== specVersion) {
  console.error(`${PACKAGE}/package.json has version ${version}, openapi.yaml info.version ${specVersion}: make them equal`);
  process.exit(1);
}

// The API types are openapi-typescript's output for the same spec (generated/api.d.ts).
copyFileSync('generated/api.d.ts', join(PACKAGE, 'src/api.d.ts'));
rmSync(join(PACKAGE, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(PACKAGE, 'tsconfig.json')], { stdio: 'inherit' });
copyFileSync(join(PACKAGE, 'src/api.d.ts'), join(PACKAGE, 'dist/api.d.ts'));

mkdirSync('var/client', { recursive: true });
const [packed] = JSON.parse(execFileSync('npm', ['pack', `./${PACKAGE}`, '--pack-destination', 'var/client', '--json', '--silent'], { encoding: 'utf8' }));
const tarball = join('var/client', packed.filename);
rmSync(UNPACKED, { recursive: true, force: true });
mkdirSync(UNPACKED, { recursive: true });
execFileSync('tar', ['-xzf', tarball, '-C', UNPACKED, '--strip-components=1']);
console.log(`client: ${tarball} (${packed.files.length} files), unpacked into ${UNPACKED}`);
