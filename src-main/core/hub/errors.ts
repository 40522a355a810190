// HTTP answers of the hub as errors a user can act on: 401/403 on a gated or private repo says to
// accept the license and add a token, 404 names the repo or the revision.
import { HubApiError } from '@huggingface/hub';
import { QinsError } from '../../../src-shared/contract.js';

export interface HubTarget {
  repo: string;
  revision: string;
  /** The file asked for, when the request was for one. */
  file?: string;
}

const GATED_HELP = 'accept the license on the model page and add a token (Models → Hugging Face token, or HF_TOKEN)';

/** The error for an HTTP status of the hub (errorCode: its X-Error-Code header, when known). */
export function httpError(status: number, target: HubTarget, detail = '', errorCode: string | null = null): QinsError {
  const what = target.file ? `${target.file} of ${target.repo}@${target.revision}` : `${target.repo}@${target.revision}`;
  const tail = detail ? ` (${detail.slice(0, 200)})` : '';
  if (errorCode === 'RevisionNotFound' || /revision/i.test(detail) && status === 404)
    return new QinsError('NOT_FOUND', `${target.repo} has no revision "${target.revision}"`);
  if (errorCode === 'RepoNotFound' || (status === 404 && !target.file))
    return new QinsError('NOT_FOUND', `${target.repo}: no such model repository on the hub (or it is private: add a token)`);
  if (status === 404) return new QinsError('NOT_FOUND', `${what}: not found on the hub`);
  if (status === 401 || status === 403) {
    if (errorCode === 'GatedRepo' || /gated|access/i.test(detail) || status === 403)
      return new QinsError('FORBIDDEN', `${target.repo} is gated: ${GATED_HELP}${tail}`);
    return new QinsError('FORBIDDEN', `${target.repo} needs a Hugging Face token (a gated or private repo): ${GATED_HELP}${tail}`);
  }
  if (status === 429) return new QinsError('NETWORK', `the hub is rate-limiting downloads (HTTP 429) for ${what}; try again in a few minutes`);
  return new QinsError('NETWORK', `the hub answered HTTP ${status} for ${what}${tail}`);
}

/** Errors of @huggingface/hub calls (HubApiError carries the status), of fetch and of token checks. */
export function fromHubCall(e: unknown, target: HubTarget): QinsError {
  if (e instanceof QinsError) return e;
  if (e instanceof HubApiError) {
    const data = e.data as { error?: unknown } | undefined;
    const detail = typeof data?.error === 'string' ? data.error : '';
    const code = /Repository not found/i.test(detail) ? 'RepoNotFound' : /Revision not found|Invalid rev id/i.test(detail) ? 'RevisionNotFound' : /gated/i.test(detail) ? 'GatedRepo' : null;
    return httpError(e.statusCode, target, detail, code);
  }
  if (e instanceof TypeError && /access token must start with/i.test(e.message))
    return new QinsError('BAD_INPUT', 'the Hugging Face token is not valid: tokens start with hf_ (make one at huggingface.co/settings/tokens)');
  if (isAbort(e)) return new QinsError('CANCELLED', 'cancelled');
  return networkError(e, target);
}

export function networkError(e: unknown, target: HubTarget): QinsError {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return new QinsError('NETWORK', `cannot reach the hub for ${target.repo} (${why})`);
}

export const isAbort = (e: unknown): boolean => (e as { name?: string })?.name === 'AbortError' || (e instanceof QinsError && e.code === 'CANCELLED');
