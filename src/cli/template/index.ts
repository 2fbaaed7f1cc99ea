/**
 * Go text/template as the Docker CLI's --format flags use it.
 * See template.ts (parse and execute) and table.ts (rows and tables).
 */
export { parseTemplate, defaultFuncs } from './template.js';
export type { Template, ParseOptions } from './template.js';
export { StepMeter } from './step-meter.js';
export type { MissingKey } from './eval.js';
export { renderRows, renderTable, isTableFormat } from './table.js';
export { TemplateError } from './template-error.js';
export { CallError } from './template-func.js';
export type { FuncMap, ParamType, TemplateFunc } from './template-func.js';
export {
  GoPointerTo,
  GoStringer,
  goEmbedded,
  goPointer,
  goStruct,
  nilMap,
  nilSlice,
} from './value.js';
