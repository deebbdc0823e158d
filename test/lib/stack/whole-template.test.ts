import { Token } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { findCredentialsInTemplate } from '../../security/credentials.js';
import { type Synthesized, synthesize } from '../synth.js';
import { type CfnTemplate, findPlaintextPasswords, findWildcardResources } from '../template-checks.js';

describe('the default stack', () => {
  let synthesized: Synthesized;
  let template: Template;
  let json: CfnTemplate;

  beforeAll(() => {
    synthesized = synthesize();
    template = synthesized.template;
    json = template.toJSON() as CfnTemplate;
  });

  describe('the whole template', () => {
    it('holds no plaintext password', () => {
      expect(findPlaintextPasswords(json)).toEqual([]);
    });

    it('holds no credential of any kind the repository scanner knows (keys, tokens, connection URLs)', () => {
      expect(findCredentialsInTemplate(json)).toEqual([]);
    });

    it('grants no IAM action on "*" where an ARN is known', () => {
      expect(findWildcardResources(json)).toEqual([]);
    });

    it('is environment-agnostic: no account or region is written into its resources', () => {
      expect(Token.isUnresolved(synthesized.stack.account)).toBe(true);
      expect(Token.isUnresolved(synthesized.stack.region)).toBe(true);
      // (Mappings are left out: they list the public SAR rotation applications of each partition.)
      const resources = JSON.stringify({ Resources: json.Resources, Outputs: json.Outputs });
      expect(resources).not.toMatch(/\b\d{12}\b/);
      expect(resources).not.toMatch(/\b(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b/);
    });
  });
});
