import { Document, Spectral, type RulesetDefinition } from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { buildOpenApiDocument } from '../../functions/api/openapi';

describe('the OpenAPI document under Spectral', () => {
  it('passes the oas ruleset with no errors and no warnings', async () => {
    const spectral = new Spectral();
    spectral.setRuleset({
      extends: [oas as RulesetDefinition],
      rules: {
        // OpenAPI 3.1 (Security Requirement Object) lets the requirement of a non-oauth2 scheme list role names; the
        // rule only looks for them among oauth2 flow scopes. Our `cognito` scheme is http bearer (token URLs belong
        // to each deployment's Cognito domain), and lists the scopes API Gateway accepts. The scheme names
        // themselves are checked in openapi.test.ts.
        'oas3-operation-security-defined': 'off',
      },
    });
    const text = JSON.stringify(buildOpenApiDocument(), null, 2);
    const results = await spectral.run(new Document(text, Json, 'openapi.json'));
    const findings = results.map((result) => `${result.code} at ${result.path.join('.')}: ${result.message}`);
    expect(findings).toEqual([]);
  });
});
