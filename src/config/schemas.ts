// Every JSON Schema the program validates input with, built from the roles' variable schemas:
// the build compiles exactly these ahead of time (see validator.ts).
import { inventorySchema, inventoryVarsSchema } from './inventory-schema.ts';
import { playbookSchema } from './playbook.ts';

export function allSchemas(roleVars: Record<string, object>): object[] {
  return [inventorySchema(roleVars), inventoryVarsSchema(roleVars), playbookSchema(roleVars)];
}
