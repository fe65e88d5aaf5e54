import type { Group } from '../../api/routes';

/**
 * The user pool's password policy: one object for the Cognito user pool (stacks/constructs/user-directory.ts) and the
 * local user-pool emulator (local/emulators/cognito-idp.ts), so a password refused in AWS is refused offline too.
 */
export const passwordPolicy = {
  minLength: 12,
  requireLowercase: true,
  requireUppercase: true,
  requireDigits: true,
  requireSymbols: true,
  /** How long an invited user's temporary password is valid. */
  tempPasswordValidityDays: 3,
} as const;

/** The characters Cognito counts as symbols (its documented set, the space included). */
const cognitoSymbols = new Set('^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ');

/** What a password lacks under the policy, in Cognito's words; empty when it conforms. */
export function passwordPolicyViolations(password: string, policy = passwordPolicy): string[] {
  const violations: string[] = [];
  if (password.length < policy.minLength) violations.push(`Password not long enough`);
  if (policy.requireLowercase && !/[a-z]/.test(password)) violations.push('Password must have lowercase characters');
  if (policy.requireUppercase && !/[A-Z]/.test(password)) violations.push('Password must have uppercase characters');
  if (policy.requireDigits && !/[0-9]/.test(password)) violations.push('Password must have numeric characters');
  if (policy.requireSymbols && ![...password].some((c) => cognitoSymbols.has(c))) {
    violations.push('Password must have symbol characters');
  }
  return violations;
}

/** The group every confirmed sign-up joins (the post-confirmation trigger adds it). */
export const customersGroup: Group = 'customers';
/** The operators' group, managed with `npm run admin -- grant|revoke`. */
export const adminsGroup: Group = 'admins';

/** Cognito's name of TOTP in a user's MFA settings (AdminGetUser's UserMFASettingList). */
export const totpMfa = 'SOFTWARE_TOKEN_MFA';

/** The audit events of admin management, published to the event bus with the `identity` source. */
export const identityEventSource = 'identity';
export type IdentityEventType = 'identity.admin-granted' | 'identity.admin-revoked';

export interface AdminChangeEvent {
  readonly id: string;
  readonly type: IdentityEventType;
  readonly occurredAt: string;
  readonly data: {
    /** The user whose membership changed (username and their stable `sub`). */
    readonly username: string;
    readonly sub?: string;
    readonly group: Group;
    /** Who made the change: the operator's AWS identity (ARN) in AWS, the OS user offline. */
    readonly actor: string;
    readonly userPoolId: string;
    /** False when the user already was (or was not) in the group: the change was a no-op, still audited. */
    readonly changed: boolean;
  };
}
