import * as z from 'zod/mini';
import { configSchema } from './schema.js';

/** The config's JSON Schema (`hubops check --schema`), for editors. Its own module: zod's JSON Schema code is not loaded at start-up. */
export function configJsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
