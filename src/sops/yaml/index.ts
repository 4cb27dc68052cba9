// The YAML layer of the SOPS library, behind two functions: YAML text → sops tree and back,
// byte for byte as sops writes it. PORT: these files port Go code rather than design anew —
// store.ts ports sops' stores/yaml/store.go (github.com/getsops/sops), resolve.ts ports
// go.yaml.in/yaml/v3 v3.0.4 resolve.go and emitter.ts its emitterc.go and encode.go
// (github.com/yaml/go-yaml; licences in THIRD-PARTY-NOTICES.md). Change them against their
// origin, not by taste: sops' MAC and its byte-identical output depend on them.

export { emitYaml as emit, parseYaml as parse } from './store.js';
