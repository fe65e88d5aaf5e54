import { describeEachEnvironment } from './synth-app';

/** CloudFormation refuses a template with more resources than this (per stack, nested stacks counted apart). */
const resourceLimit = 500;

describeEachEnvironment('template limits', (app) => {
  it("keeps every deployed template under CloudFormation's resource limit", () => {
    const templates = [
      ...app().serviceStackTemplates,
      ['Data', app().dataTemplate] as const,
      ...app().replicaKeyTemplates.map((template, index) => [`ReplicaKeys${index}`, template] as const),
      ...app().standbyStackTemplates,
      ...[...app().standbyDataTemplates].map(([region, template]) => [`StandbyData-${region}`, template] as const),
    ];
    for (const [name, template] of templates) {
      const count = Object.keys((template.toJSON() as { Resources?: object }).Resources ?? {}).length;
      expect({ name, underLimit: count < resourceLimit }).toEqual({ name, underLimit: true });
    }
  });
});
