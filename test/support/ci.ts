/**
 * Tests that need something the machine may lack (a fixture, root): outside CI they skip and say
 * why; in CI (CI=true) they run and fail with that reason, so that a missing fixture or privilege
 * is never a silent skip there.
 */
export const IN_CI = process.env.CI === 'true';

/**
 * The `skip` option of such a test: the reason outside CI, false in CI.
 *
 *   it('...', { skip: skipOutsideCi(missing) }, () => { requireInCi(missing); ... })
 */
export function skipOutsideCi(missing: string | undefined): string | false {
  return !IN_CI && missing ? missing : false;
}

/** First line of such a test: in CI, a missing requirement fails it with the reason. */
export function requireInCi(missing: string | undefined): void {
  if (missing) throw new Error(`${missing} (CI=true: this test must run in CI, not skip)`);
}
