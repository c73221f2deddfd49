// Runs cdk-nag's AwsSolutions pack over every synthesized template in a cloud assembly folder.
// cdk-nag has no C# package, so each template is loaded with cloudformation-include into a small
// Node app; suppressions travel as `cdk_nag` metadata on the resources, each with its reason.
// Usage: node scripts/nag.js [cdk.out]. Exits 1 when any error-level finding is not suppressed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { App, Aspects, BootstraplessSynthesizer, Stack } = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { AwsSolutionsChecks } = require('cdk-nag');

const assemblyDir = process.argv[2] || 'cdk.out';
const templates = fs.readdirSync(assemblyDir).filter((f) => f.endsWith('.template.json')).sort();
if (templates.length === 0) {
  console.error(`nag: no templates in ${assemblyDir}; run make synth first`);
  process.exit(2);
}

const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'nag-')) });
for (const file of templates) {
  // No synthesizer additions: the included template already carries its bootstrap parameter.
  const stack = new Stack(app, path.basename(file, '.template.json'), { synthesizer: new BootstraplessSynthesizer() });
  new CfnInclude(stack, 'Template', { templateFile: path.join(assemblyDir, file) });
}
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));

let errors = 0;
let warnings = 0;
for (const stack of app.synth().stacks) {
  for (const message of stack.messages) {
    if (message.level === 'error') {
      errors++;
      console.log(`nag: ${stack.stackName}: ERROR ${message.id}: ${message.entry.data}`);
    } else if (message.level === 'warning') {
      warnings++;
    }
  }
}
console.log(`nag: ${templates.length} templates, ${errors} unsuppressed errors, ${warnings} warnings (AwsSolutions)`);
process.exit(errors === 0 ? 0 : 1);
