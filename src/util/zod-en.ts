// zod/mini sets no locale of its own (classic zod registers English on its first schema): without
// this, its built-in messages would all read "Invalid input". Imported for its effect by every
// module that builds schemas, so English is set before any of them parses. Only the English
// locale module is imported: zod's `locales` namespace would bring all of them into the bundle.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
