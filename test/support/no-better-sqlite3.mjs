/**
 * Preloaded into a camrelay child (`node --import THIS bin/camrelay.js …`): better-sqlite3 cannot be
 * loaded, as on a machine where its native module could not be downloaded nor built. Both ways in
 * are closed: an ESM `import` (a resolve hook) and a CommonJS `require` (the CJS resolver).
 */
import Module, { register } from 'node:module';

const NAME = 'better-sqlite3';
const MESSAGE = `Cannot find module '${NAME}' (made unloadable by the test)`;

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === NAME) throw Object.assign(new Error(MESSAGE), { code: 'MODULE_NOT_FOUND' });
  return resolveFilename.call(this, request, ...rest);
};

const hook = `export async function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(NAME)})
    throw Object.assign(new Error(${JSON.stringify(MESSAGE)}), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
