// The type of a subtest's `t`, with its plugins, for helpers that take one.
import type { BuiltPlugins, Test } from '@tapjs/test';

export type TestContext = Test<BuiltPlugins> & BuiltPlugins;
