/** Shared shapes for runbooks and templates. Pure types: no runtime code. */

/** Something wrong (or worth a look) in a file, always with a 1-based line. */
export interface Problem {
  file: string;
  /** 1-based line in `file`; never 0, never past the last line. */
  line: number;
  /** Dotted path of the front-matter key or template field concerned, when there is one. */
  field?: string;
  message: string;
  /** Errors stop the runbook/template from being used; warnings do not. */
  severity: 'error' | 'warning';
}

export type Severity = 1 | 2 | 3;

export type SectionKey = 'symptoms' | 'diagnosis' | 'resolution' | 'prevention' | 'rollback';

/** The sections whose checklist items become steps. */
export type StepSection = 'diagnosis' | 'resolution' | 'rollback';

export interface StepCommand {
  /** The shell code, exactly as written in the fenced block (indentation of the list item removed). */
  code: string;
  /** `target=NAME` from the fence's info string (an environment / target name); absent = the current one. */
  target?: string;
  /** Line of the opening fence. */
  line: number;
  /** The fence language as written: `sh`, `bash` or `shell`. */
  lang: string;
  /** `HUBOPS_*` environment variables the code refers to, sorted, without duplicates. */
  env: string[];
}

export interface Step {
  /** Stable id: `<section>-<n>`, n counted from 1 within the section, e.g. `resolution-3`. */
  id: string;
  section: StepSection;
  /** 1-based position within its section. */
  index: number;
  /** The checklist item's first paragraph, markdown source with line breaks folded to spaces. */
  text: string;
  /** Further notes under the item (other paragraphs, nested lists, non-shell blocks), markdown source. */
  details?: string;
  /** Line of the `- [ ]` item. */
  line: number;
  /** True when written `- [x]` (pre-ticked in the file; the console tracks progress itself). */
  checked: boolean;
  command?: StepCommand;
}

export interface Section {
  key: SectionKey;
  /** The heading as written, e.g. `Rollback / escalation`. */
  heading: string;
  /** Line of the `##` heading. */
  line: number;
  /** Markdown source of the section's body (heading excluded), trimmed. */
  text: string;
}

export interface Runbook {
  id: string;
  title: string;
  /** Severities the runbook applies to, sorted ascending, no duplicates. */
  severity: Severity[];
  /** Services the runbook applies to; empty means any service. */
  services: string[];
  tags: string[];
  summary?: string;
  /** Environment variables the commands use, with a description of each (front matter `env`). */
  env: Record<string, string>;
  /** Markdown source of the Symptoms section. */
  symptoms: string;
  diagnosis: Step[];
  resolution: Step[];
  /** Rollback / escalation steps; may be empty when that section is prose only or absent. */
  rollback: Step[];
  /** Markdown source of the Prevention section, when present. */
  prevention?: string;
  sections: Partial<Record<SectionKey, Section>>;
  /** Line of each front-matter key (top level), for pointing at `id` and friends later. */
  fieldLines: Record<string, number>;
}

export type ParseResult =
  | { ok: true; runbook: Runbook; warnings: Problem[] }
  | { ok: false; errors: Problem[]; warnings: Problem[] };

/** How each section is titled in a runbook (and on screen). */
export const SECTION_TITLES: Readonly<Record<SectionKey, string>> = {
  symptoms: 'Symptoms',
  diagnosis: 'Diagnosis',
  resolution: 'Resolution',
  prevention: 'Prevention',
  rollback: 'Rollback / escalation',
};
