import {
  createPartner,
  disableApiKey,
  provisionCredentials,
  type NewPartner,
  type PartnerOnboardingDeps,
} from '../commands/lib/partner-onboarding';

/**
 * The two partners `npm start` seeds, so that tenancy can be tried at once: each its own app client, secret and API
 * key (fixed values, printed by the start banner and the README). Onboarded through the same code and SDK calls as
 * `npm run partner -- create`.
 */
export const devPartners: readonly (NewPartner & { clientSecret: string; apiKeyValue: string })[] = [
  {
    partnerId: 'partner-a',
    plan: 'partner-standard',
    clientSecret: 'local-partner-a-secret',
    apiKeyValue: 'local-partner-a-api-key',
  },
  {
    partnerId: 'partner-b',
    plan: 'partner-standard',
    clientSecret: 'local-partner-b-secret',
    apiKeyValue: 'local-partner-b-api-key',
  },
];

export interface DevPartnerCredentials {
  readonly partnerId: string;
  readonly plan: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly apiKey: string;
  readonly status: 'active' | 'disabled';
}

/**
 * Registers the dev partners, or, when the persisted table knows them already, makes their client and key again in
 * the in-memory emulators: both derive their ids from the resource name, so they match the registry as before.
 */
export async function seedDevPartners(deps: PartnerOnboardingDeps): Promise<DevPartnerCredentials[]> {
  const seeded: DevPartnerCredentials[] = [];
  for (const partner of devPartners) {
    const existing = await deps.directory.get(partner.partnerId);
    if (!existing) {
      const created = await createPartner(deps, partner);
      seeded.push({ ...partner, ...created, status: 'active' });
      continue;
    }
    const credentials = await provisionCredentials(deps, { ...partner, plan: existing.plan });
    if (credentials.clientId !== existing.clientId || credentials.apiKeyId !== existing.apiKeyId) {
      throw new Error(`dev partner ${partner.partnerId} in the table does not match its seeded client and key`);
    }
    if (existing.status === 'disabled') await disableApiKey(deps, credentials.apiKeyId);
    seeded.push({ ...partner, ...credentials, plan: existing.plan, status: existing.status });
  }
  return seeded;
}
