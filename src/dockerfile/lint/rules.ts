/**
 * BuildKit's Dockerfile check rules (frontend/dockerfile/linter/ruleset.go):
 * each name, the one-line description BuildKit prints under a warning, and
 * the page documenting it. InvalidBaseImagePlatform has no page; the
 * experimental InvalidDefinitionDescription runs only when asked for
 * (`# check=experimental=InvalidDefinitionDescription` or `experimental=all`).
 *
 * InvalidJSONArgs is tsbuild's own, reported by `tsbuild parse` only: a build
 * or `--check` stays silent where BuildKit is, so a pipeline that passes
 * `docker build --check` passes `tsbuild build --check`.
 */

export interface Rule {
  description: string;
  /** https://docs.docker.com/go/dockerfile/rule/<kebab-name>/, as BuildKit links it. */
  url: string | undefined;
  experimental?: boolean;
}

const doc = (kebab: string) => `https://docs.docker.com/go/dockerfile/rule/${kebab}/`;

export const RULES = {
  StageNameCasing: {
    description: 'Stage names should be lowercase',
    url: doc('stage-name-casing'),
  },
  FromAsCasing: {
    description: "The 'as' keyword should match the case of the 'from' keyword",
    url: doc('from-as-casing'),
  },
  NoEmptyContinuation: {
    description: 'Empty continuation lines will become errors in a future release',
    url: doc('no-empty-continuation'),
  },
  ConsistentInstructionCasing: {
    description:
      'All commands within the Dockerfile should use the same casing (either upper or lower)',
    url: doc('consistent-instruction-casing'),
  },
  DuplicateStageName: {
    description: 'Stage names should be unique',
    url: doc('duplicate-stage-name'),
  },
  ReservedStageName: {
    description: 'Reserved words should not be used as stage names',
    url: doc('reserved-stage-name'),
  },
  JSONArgsRecommended: {
    description:
      'JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals',
    url: doc('json-args-recommended'),
  },
  MaintainerDeprecated: {
    description:
      'The MAINTAINER instruction is deprecated, use a label instead to define an image author',
    url: doc('maintainer-deprecated'),
  },
  UndefinedArgInFrom: {
    description: 'FROM command must use declared ARGs',
    url: doc('undefined-arg-in-from'),
  },
  WorkdirRelativePath: {
    description:
      'Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes',
    url: doc('workdir-relative-path'),
  },
  UndefinedVar: {
    description: 'Variables should be defined before their use',
    url: doc('undefined-var'),
  },
  MultipleInstructionsDisallowed: {
    description: 'Multiple instructions of the same type should not be used in the same stage',
    url: doc('multiple-instructions-disallowed'),
  },
  LegacyKeyValueFormat: {
    description: 'Legacy key/value format with whitespace separator should not be used',
    url: doc('legacy-key-value-format'),
  },
  InvalidBaseImagePlatform: {
    description: 'Base image platform does not match expected target platform',
    url: undefined,
  },
  RedundantTargetPlatform: {
    description:
      'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior',
    url: doc('redundant-target-platform'),
  },
  SecretsUsedInArgOrEnv: {
    description: 'Sensitive data should not be used in the ARG or ENV commands',
    url: doc('secrets-used-in-arg-or-env'),
  },
  InvalidDefaultArgInFrom: {
    description: 'Default value for global ARG results in an empty or invalid base image name',
    url: doc('invalid-default-arg-in-from'),
  },
  FromPlatformFlagConstDisallowed: {
    description: 'FROM --platform flag should not use a constant value',
    url: doc('from-platform-flag-const-disallowed'),
  },
  CopyIgnoredFile: {
    description: 'Attempting to Copy file that is excluded by .dockerignore',
    url: doc('copy-ignored-file'),
  },
  InvalidDefinitionDescription: {
    description:
      'Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.',
    url: doc('invalid-definition-description'),
    experimental: true,
  },
  ExposeProtoCasing: {
    description: 'Protocol in EXPOSE instruction should be lowercase',
    url: doc('expose-proto-casing'),
  },
  ExposeInvalidFormat: {
    description:
      'IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release',
    url: doc('expose-invalid-format'),
  },
} satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;

/** tsbuild's own rule: not BuildKit's, so never part of a build's or `--check`'s findings. */
export const OWN_RULES: Record<string, Rule> = {
  InvalidJSONArgs: {
    description: 'Arguments that start with "[" should be a JSON array of strings',
    url: undefined,
  },
};

export function ruleOf(name: string): Rule | undefined {
  return (RULES as Record<string, Rule>)[name] ?? OWN_RULES[name];
}
