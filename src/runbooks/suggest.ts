/** Which runbooks fit an incident: pure, so the picker's order is tested without a screen. */
import type { Runbook, Severity } from './types.js';
import { naturalCompare } from '../util/text-order.js';

export interface RankedRunbook<R> {
  runbook: R;
  /** Higher fits better: the service named (3), any service (1); the severity listed (2). */
  score: number;
  /** Both fit: the severity is listed, and the service is listed or the runbook is for any service. */
  suggested: boolean;
  /** Why, in a few words for the picker: `SEV1 · api`, `SEV2 · any service`. */
  why: string;
}

/**
 * Orders runbooks for an incident: suggested ones first (a runbook naming the incident's service
 * before one for any service), then the rest; ties keep the title order. Re-run it when the
 * severity changes: a SEV1-only runbook drops out of the suggestions at SEV2.
 */
export function rankRunbooks<R extends Pick<Runbook, 'id' | 'title' | 'severity' | 'services'>>(runbooks: readonly R[], incident: { sev: Severity; service: string }): RankedRunbook<R>[] {
  const service = incident.service.trim().toLowerCase();
  const ranked = runbooks.map((runbook) => {
    const sevFits = runbook.severity.includes(incident.sev);
    const named = service !== '' && runbook.services.some((s) => s.toLowerCase() === service);
    const anyService = runbook.services.length === 0;
    const score = (sevFits ? 2 : 0) + (named ? 3 : anyService ? 1 : 0);
    const sevText = runbook.severity.map((s) => `SEV${s}`).join('/');
    const svcText = anyService ? 'any service' : runbook.services.join(', ');
    return { runbook, score, suggested: sevFits && (named || anyService), why: `${sevText} · ${svcText}` };
  });
  return ranked.sort((a, b) => Number(b.suggested) - Number(a.suggested) || b.score - a.score || naturalCompare(a.runbook.title, b.runbook.title));
}
