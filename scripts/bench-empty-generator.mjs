// The benchmark's baseline: the same yeoman-environment that `flux-sops` uses, running a
// generator that does nothing, in the folder given as the only argument.
import { resolve } from 'node:path';
import Environment from 'yeoman-environment';
import Generator from 'yeoman-generator';

class EmptyGenerator extends Generator {
  constructor(args, options, features) {
    super(args, options, { ...features, customInstallTask: true });
  }

  writing() {}
}

const environment = new Environment({ cwd: resolve(process.argv[2] ?? '.'), skipInstall: true });
environment.register(EmptyGenerator, { namespace: 'bench:empty', resolved: 'bench-empty-generator', packagePath: '.' });
await environment.run(['bench:empty'], { skipInstall: true });
