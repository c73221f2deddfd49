// Runs cdk-nag's AwsSolutions pack (cdk-nag 3, the newest) over every synthesized template in a
// cloud assembly folder. cdk-nag has no C# package, so each template is loaded with
// cloudformation-include into a small Node app on the newest aws-cdk-lib from npm; the C# CDK's
// version does not matter, as only the templates are read. Acknowledgments travel as `cdk_nag`
// metadata on the resources (rule id, the findings it covers, and the reason), and become CDK's
// own acknowledgments here. Usage: node scripts/nag.js [cdk.out]. Exits 1 when any finding, error
// or warning, is not acknowledged.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { App, BootstraplessSynthesizer, Stack, Validations } = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { AwsSolutionsChecks } = require('cdk-nag');

const assemblyDir = process.argv[2] || 'cdk.out';
const templates = fs.readdirSync(assemblyDir).filter((f) => f.endsWith('.template.json')).sort();
if (templates.length === 0) {
  console.error(`nag: no templates in ${assemblyDir}; run make synth first`);
  process.exit(2);
}

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
const app = new App({ outdir });
let acknowledged = 0;
for (const file of templates) {
  const templateFile = path.join(assemblyDir, file);
  // No synthesizer additions: the included template already carries its bootstrap parameter.
  const stack = new Stack(app, path.basename(file, '.template.json'), { synthesizer: new BootstraplessSynthesizer() });
  const template = new CfnInclude(stack, 'Template', { templateFile });
  for (const [logicalId, resource] of Object.entries(JSON.parse(fs.readFileSync(templateFile, 'utf8')).Resources)) {
    for (const rule of resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
      // cdk-nag 3 acknowledges each finding of a rule by itself: AwsSolutions-IAM5[Resource::*].
      for (const id of rule.applies_to ? rule.applies_to.map((finding) => `${rule.id}[${finding}]`) : [rule.id]) {
        Validations.of(template.getResource(logicalId)).acknowledge({ id: `AwsSolutions::${id}`, reason: rule.reason });
        acknowledged++;
      }
    }
  }
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

try {
  app.synth();
} catch (e) {
  // A failed validation throws once the report is written; anything else is a real failure.
  if (!fs.existsSync(path.join(outdir, 'validation-report.json'))) throw e;
}

const report = path.join(outdir, 'validation-report.json');
const violations = fs.existsSync(report)
  ? JSON.parse(fs.readFileSync(report, 'utf8')).pluginReports.flatMap((plugin) => plugin.violations)
  : [];
let errors = 0;
let warnings = 0;
for (const violation of violations) {
  for (const construct of violation.violatingConstructs) {
    if (violation.severity === 'error') {
      errors++;
    } else {
      warnings++;
    }
    console.log(`nag: ${violation.severity.toUpperCase()} ${violation.ruleName} at ${construct.constructPath}: ${violation.description}`);
  }
}
const version = require('cdk-nag/package.json').version;
console.log(`nag: ${templates.length} templates, cdk-nag ${version}, ${errors} unacknowledged errors, ${warnings} warnings, ${acknowledged} acknowledged findings (AwsSolutions)`);
fs.rmSync(outdir, { recursive: true, force: true });
// A warning fails too: CloudFormation's own validation reports a template it would refuse as one.
process.exit(errors === 0 && warnings === 0 ? 0 : 1);
