import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateRisk, trainRiskModel } from './risk/risk-training';
import { printRiskEvaluation } from './report';

/**
 * `npm run train:risk`: trains the fraud model on the generated orders (fixed seed) and writes
 * functions/core/risk/risk-model.json, which is checked in. The same seed always writes the same file.
 */
const target = join(__dirname, '..', 'functions', 'core', 'risk', 'risk-model.json');
const { model, test } = trainRiskModel();
writeFileSync(target, `${JSON.stringify(model, null, 2)}\n`);
console.log(`wrote ${target} (version ${model.version}, ${model.training['iterations']} iterations)`);
printRiskEvaluation(evaluateRisk(model, test));
