// The IAM documents of iam.ts, as whole expected objects: trust (IRSA, Pod Identity), decrypt and encrypt (key, alias), key policy, partitions.
import assert from 'node:assert/strict';
import {
  type IamEnvironment,
  type PolicyDocument,
  kmsDecryptPolicyOf,
  kmsEncryptPolicyOf,
  kmsKeyPolicyOf,
  policyJson,
  trustPolicyOf,
} from '../src/fleet/iam.js';
import { environmentOf } from './environments.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const ISSUER_ID = 'EXAMPLED539D4633E53DE1B71EXAMPLE';

const irsaStaging = environmentOf({ name: 'staging', oidcIssuer: `oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}` });
const podIdentityProduction = environmentOf({
  name: 'production',
  accountId: '210987654321',
  roleName: 'flux-production',
  clusterName: 'prod-eks',
  identity: 'pod-identity',
  kmsKeyArn: `arn:aws:kms:eu-west-1:210987654321:key/${KEY_ID}`,
});
const china = environmentOf({
  name: 'cn',
  region: 'cn-north-1',
  oidcIssuer: `oidc.eks.cn-north-1.amazonaws.com.cn/id/${ISSUER_ID}`,
});

describe('IAM documents', () => {
  describe('trust policy', () => {
    const cases: Array<{ title: string; env: IamEnvironment; expected: PolicyDocument }> = [
      {
        title: 'IRSA: the OIDC provider of the cluster, for kustomize-controller of flux-system only',
        env: irsaStaging,
        expected: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'FluxKustomizeControllerIRSA',
              Effect: 'Allow',
              Principal: {
                Federated: `arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}`,
              },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  [`oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}:aud`]: 'sts.amazonaws.com',
                  [`oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}:sub`]:
                    'system:serviceaccount:flux-system:kustomize-controller',
                },
              },
            },
          ],
        },
      },
      {
        title: 'Pod Identity: the EKS Pod Identity service, for that cluster, namespace and ServiceAccount',
        env: podIdentityProduction,
        expected: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'FluxKustomizeControllerPodIdentity',
              Effect: 'Allow',
              Principal: { Service: 'pods.eks.amazonaws.com' },
              Action: ['sts:AssumeRole', 'sts:TagSession'],
              Condition: {
                StringEquals: {
                  'aws:RequestTag/eks-cluster-arn': 'arn:aws:eks:eu-west-1:210987654321:cluster/prod-eks',
                  'aws:RequestTag/kubernetes-namespace': 'flux-system',
                  'aws:RequestTag/kubernetes-service-account': 'kustomize-controller',
                },
              },
            },
          ],
        },
      },
      {
        title: 'IRSA in aws-cn: the provider ARN in the partition of the region',
        env: china,
        expected: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'FluxKustomizeControllerIRSA',
              Effect: 'Allow',
              Principal: {
                Federated: `arn:aws-cn:iam::123456789012:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/${ISSUER_ID}`,
              },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  [`oidc.eks.cn-north-1.amazonaws.com.cn/id/${ISSUER_ID}:aud`]: 'sts.amazonaws.com',
                  [`oidc.eks.cn-north-1.amazonaws.com.cn/id/${ISSUER_ID}:sub`]:
                    'system:serviceaccount:flux-system:kustomize-controller',
                },
              },
            },
          ],
        },
      },
    ];
    for (const { title, env, expected } of cases) {
      it(title, () => {
        assert.deepStrictEqual(trustPolicyOf(env), expected);
      });
    }

    it('Pod Identity: no OIDC anywhere, even with an issuer set', () => {
      const env = {
        ...podIdentityProduction,
        oidcIssuer: `oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}`,
        oidcIssuerIsPlaceholder: false,
      };
      assert.doesNotMatch(policyJson(trustPolicyOf(env)), /oidc|Federated|WebIdentity/i);
    });

    it('takes references in place of the issuer, the provider ARN and the cluster ARN', () => {
      const references = { oidcIssuer: 'ISSUER', oidcProviderArn: 'PROVIDER', clusterArn: 'CLUSTER' };
      assert.deepStrictEqual(trustPolicyOf(irsaStaging, references).Statement[0]?.Principal, { Federated: 'PROVIDER' });
      assert.deepStrictEqual(
        Object.keys(trustPolicyOf(irsaStaging, references).Statement[0]?.Condition?.StringEquals ?? {}),
        ['ISSUER:aud', 'ISSUER:sub'],
      );
      assert.equal(
        trustPolicyOf(podIdentityProduction, references).Statement[0]?.Condition?.StringEquals?.[
          'aws:RequestTag/eks-cluster-arn'
        ],
        'CLUSTER',
      );
    });
  });

  describe('KMS policies of the role and of people who seal', () => {
    const aliasScope = {
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*',
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/flux-sops-staging' } },
    };
    const keyScope = { Resource: `arn:aws:kms:eu-west-1:210987654321:key/${KEY_ID}` };
    const cases = [
      {
        title: 'decrypt, key given by key ARN: that key only',
        build: kmsDecryptPolicyOf,
        env: podIdentityProduction,
        sid: 'DecryptFluxSopsSecrets',
        action: 'kms:Decrypt',
        scope: keyScope,
      },
      {
        title: 'decrypt, key named by alias: keys carrying that alias only',
        build: kmsDecryptPolicyOf,
        env: irsaStaging,
        sid: 'DecryptFluxSopsSecrets',
        action: 'kms:Decrypt',
        scope: aliasScope,
      },
      {
        title: 'encrypt, key given by key ARN: that key only',
        build: kmsEncryptPolicyOf,
        env: podIdentityProduction,
        sid: 'EncryptFluxSopsSecrets',
        action: 'kms:Encrypt',
        scope: keyScope,
      },
      {
        title: 'encrypt, key named by alias: keys carrying that alias only',
        build: kmsEncryptPolicyOf,
        env: irsaStaging,
        sid: 'EncryptFluxSopsSecrets',
        action: 'kms:Encrypt',
        scope: aliasScope,
      },
      {
        title: 'decrypt in aws-cn: key ARNs of that partition',
        build: kmsDecryptPolicyOf,
        env: china,
        sid: 'DecryptFluxSopsSecrets',
        action: 'kms:Decrypt',
        scope: {
          Resource: 'arn:aws-cn:kms:cn-north-1:123456789012:key/*',
          Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/flux-sops-cn' } },
        },
      },
    ];
    for (const { title, build, env, sid, action, scope } of cases) {
      it(title, () => {
        assert.deepStrictEqual(build(env), {
          Version: '2012-10-17',
          Statement: [{ Sid: sid, Effect: 'Allow', Action: [action], ...scope }],
        });
      });
    }

    it('sealing cannot read: the encrypt policy never grants a decrypting action', () => {
      for (const env of [irsaStaging, podIdentityProduction, china]) {
        assert.doesNotMatch(policyJson(kmsEncryptPolicyOf(env)), /Decrypt|ReEncrypt|GenerateDataKey|kms:\*/);
      }
    });

    it('a reference to the key ARN names the key itself, without the alias condition', () => {
      assert.deepStrictEqual(kmsDecryptPolicyOf(irsaStaging, { kmsKeyArn: 'KEY' }).Statement, [
        { Sid: 'DecryptFluxSopsSecrets', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: 'KEY' },
      ]);
    });
  });

  describe('key policy of a key Terraform creates', () => {
    it('keeps the account root in control and lets the role decrypt', () => {
      assert.deepStrictEqual(kmsKeyPolicyOf(irsaStaging), {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AccountRootFullControl',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:root' },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Sid: 'FluxRoleDecrypts',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging' },
            Action: ['kms:Decrypt'],
            Resource: '*',
          },
        ],
      });
    });

    it('names principals in the partition of the region', () => {
      const principals = kmsKeyPolicyOf(china).Statement.map((statement) => statement.Principal?.AWS);
      assert.deepStrictEqual(principals, [
        'arn:aws-cn:iam::123456789012:root',
        'arn:aws-cn:iam::123456789012:role/flux-kms-decryptor-cn',
      ]);
    });
  });

  describe('policyJson', () => {
    const documents = [irsaStaging, podIdentityProduction, china].flatMap((env) => [
      trustPolicyOf(env),
      kmsDecryptPolicyOf(env),
      kmsEncryptPolicyOf(env),
      kmsKeyPolicyOf(env),
    ]);

    // The whole text of a file, as IAM reads it: a condition or a principal that changes shows.
    const texts: [string, PolicyDocument, string[]][] = [
      [
        'the IRSA trust policy, its principal and both conditions',
        trustPolicyOf(irsaStaging),
        [
          '{',
          '  "Version": "2012-10-17",',
          '  "Statement": [',
          '    {',
          '      "Sid": "FluxKustomizeControllerIRSA",',
          '      "Effect": "Allow",',
          '      "Principal": {',
          `        "Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}"`,
          '      },',
          '      "Action": "sts:AssumeRoleWithWebIdentity",',
          '      "Condition": {',
          '        "StringEquals": {',
          `          "oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}:aud": "sts.amazonaws.com",`,
          `          "oidc.eks.eu-west-1.amazonaws.com/id/${ISSUER_ID}:sub": "system:serviceaccount:flux-system:kustomize-controller"`,
          '        }',
          '      }',
          '    }',
          '  ]',
          '}',
          '',
        ],
      ],
      [
        'the decrypt policy, as the hand-laid templates wrote it for the same environment',
        kmsDecryptPolicyOf(irsaStaging),
        [
          '{',
          '  "Version": "2012-10-17",',
          '  "Statement": [',
          '    {',
          '      "Sid": "DecryptFluxSopsSecrets",',
          '      "Effect": "Allow",',
          '      "Action": [',
          '        "kms:Decrypt"',
          '      ],',
          '      "Resource": "arn:aws:kms:eu-west-1:123456789012:key/*",',
          '      "Condition": {',
          '        "ForAnyValue:StringEquals": {',
          '          "kms:ResourceAliases": "alias/flux-sops-staging"',
          '        }',
          '      }',
          '    }',
          '  ]',
          '}',
          '',
        ],
      ],
    ];
    for (const [title, document, lines] of texts) {
      it(`writes ${title}`, () => assert.equal(policyJson(document), lines.join('\n')));
    }

    it('writes every document two-space indented, with a final newline', () => {
      for (const document of documents) {
        const text = policyJson(document);
        assert.ok(text.endsWith('}\n') && !text.endsWith('\n\n'));
        assert.match(text, /^\{\n {2}"Version": "2012-10-17",\n {2}"Statement": \[\n {4}\{\n {6}"Sid": /);
      }
    });

    it('keeps the statement keys in IAM reading order', () => {
      assert.deepStrictEqual(Object.keys(trustPolicyOf(irsaStaging).Statement[0] ?? {}), [
        'Sid',
        'Effect',
        'Principal',
        'Action',
        'Condition',
      ]);
      assert.deepStrictEqual(Object.keys(kmsDecryptPolicyOf(irsaStaging).Statement[0] ?? {}), [
        'Sid',
        'Effect',
        'Action',
        'Resource',
        'Condition',
      ]);
    });
  });
});
