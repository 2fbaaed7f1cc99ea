/**
 * The API as the CLI uses it for `images --format`, `inspect -f` and tables,
 * and the choices JSON data forces on us: null, Go structs and nil slices,
 * missing keys, integers beyond 2^53, methods on the data. The recorded
 * Docker cases are in fixtures.test.ts; these pin what JSON alone cannot
 * say. Tables are checked against the layout Docker printed for the same rows.
 */
import { describe, expect, it } from 'vitest';
import { caught } from '../../helpers/caught.js';
import {
  goStruct,
  nilMap,
  nilSlice,
  parseTemplate,
  renderRows,
  renderTable,
  TemplateError,
  type ParseOptions,
} from '../../../src/cli/template/index.js';

const image = {
  Id: 'sha256:54604c008b04bd7f86bbc7f6f8ca2f0e8f1ee0d8a87ebf40c2e0ab1ec44e8f2a',
  RepoTags: ['example/app:1.0', 'example/app:also'],
  Size: 5600000,
  Config: {
    Env: ['A=1', 'B=2'],
    Cmd: ['sh', '-c', 'echo hi'],
    Entrypoint: null,
    Labels: { 'a.b': 'c', x: '<y&z>' },
  },
  RootFS: { Type: 'layers', Layers: ['sha256:84ff92691f909a05', 'sha256:1f2d3c4b5a697887'] },
};

const run = (text: string, data: unknown = image, options?: ParseOptions): string =>
  parseTemplate(text, options).execute(data);

const error = (text: string, data: unknown = image, options?: ParseOptions): TemplateError =>
  caught(() => run(text, data, options), TemplateError);

describe('docker inspect -f idioms', () => {
  it.each([
    ['{{.Config.Env}}', '[A=1 B=2]'],
    ['{{range .Config.Env}}{{println .}}{{end}}', 'A=1\nB=2\n'],
    ['{{range .RepoTags}}{{.}} {{end}}', 'example/app:1.0 example/app:also '],
    ['{{index .Config.Labels "a.b"}}', 'c'],
    ['{{join .Config.Cmd " "}}', 'sh -c echo hi'],
    ['{{if .Config.Cmd}}yes{{end}}', 'yes'],
    ['{{json .RootFS.Layers}}', '["sha256:84ff92691f909a05","sha256:1f2d3c4b5a697887"]'],
    ['{{json .Config.Labels}}', '{"a.b":"c","x":"<y&z>"}'],
    ['{{.Config.Labels}}', 'map[a.b:c x:<y&z>]'],
    ['{{.Size}}', '5600000'],
    ['{{.Config.Entrypoint}}', '<nil>'],
    ['{{json .Config.Entrypoint}}', 'null'],
    ['{{range .Config.Entrypoint}}x{{else}}none{{end}}', 'none'],
    ['{{len .Config.Entrypoint}}', '0'],
    ['{{index .Config.Labels "nope"}}|{{.Config.Labels.nope}}', '|<no value>'],
  ])('%s', (text, want) => expect(run(text)).toBe(want));

  it('parses once and executes per value', () => {
    const t = parseTemplate('{{.Repository}}:{{.Tag}}');
    expect(t.execute({ Repository: 'alpine', Tag: '3.19' })).toBe('alpine:3.19');
    expect(t.execute({ Repository: 'busybox', Tag: 'latest' })).toBe('busybox:latest');
  });

  it('prints floats as Go does and int64 values exactly', () => {
    expect(run('{{.A}} {{.B}} {{.C}}', { A: 0.5, B: 1234567.5, C: 2 ** 62 })).toBe(
      '0.5 1.2345675e+06 4611686018427387904',
    );
    expect(run('{{.N}} {{printf "%x" .N}}', { N: 9223372036854775807n })).toBe(
      '9223372036854775807 7fffffffffffffff',
    );
  });
});

describe('null, nil slices and maps, structs', () => {
  it('null is a nil: <nil>, false, empty, and a field of it is an error', () => {
    expect(
      run('{{.N}}|{{if .N}}t{{else}}f{{end}}|{{len .N}}|{{range .N}}x{{end}}', { N: null }),
    ).toBe('<nil>|f|0|');
    expect(error('{{.N.X}}', { N: null }).message).toBe(
      'template: :1:4: executing "" at <.N.X>: nil pointer evaluating interface {}.X',
    );
  });

  it('nilSlice and nilMap print as Docker prints its typed nils, and encode as null', () => {
    const data = { Env: nilSlice(), Labels: nilMap() };
    expect(run('{{.Env}} {{.Labels}} {{json .Env}} {{json .Labels}} {{len .Env}}', data)).toBe(
      '[] map[] null null 0',
    );
    expect(run('{{if .Env}}t{{else}}f{{end}}{{range .Labels}}x{{else}}-{{end}}', data)).toBe('f-');
  });

  it('a goStruct has fields, not keys: a missing one is an error, and it prints as {…}', () => {
    const row = goStruct({ ID: 'abc', Size: 5 }, '*formatter.imageContext');
    expect(run('{{.ID}} {{.}} {{printf "%+v" .}}', row)).toBe('abc {abc 5} {ID:abc Size:5}');
    expect(error('{{.Nope}}', row).message).toBe(
      'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext',
    );
    expect(error('{{len .}}', row).message).toContain(
      'error calling len: len of type *formatter.imageContext',
    );
    expect(run('{{if .}}always true{{end}}', goStruct({}, 'T'))).toBe('always true');
  });

  it("missingKey is Go's missingkey option", () => {
    expect(error('{{.Nope}}', image, { missingKey: 'error' }).message).toBe(
      'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"',
    );
    expect(run('[{{.Config.Labels.nope}}]', image, { missingKey: 'zero' })).toBe('[]');
    expect(run('{{index .Config.Labels "nope"}}', image, { missingKey: 'error' })).toBe('');
  });
});

describe('functions', () => {
  it('calls a function on the data as a method, with arguments', () => {
    const row = {
      Label: (name: string) => (name === 'a' ? 'b' : ''),
      Fail: () => {
        throw new Error('no');
      },
    };
    expect(run('{{.Label "a"}}|{{"a" | .Label}}', row)).toBe('b|b');
    expect(error('{{.Fail}}', row).message).toBe(
      'template: :1:2: executing "" at <.Fail>: error calling Fail: no',
    );
    expect(error('{{.Label}}', row).message).toContain(
      'wrong number of args for Label: want at least 1 got 0',
    );
  });

  it("takes more functions at parse time, checked like Go's", () => {
    const funcs = { twice: { params: ['string'] as const, fn: (s: string) => s + s } };
    expect(run('{{twice .Os}}', { Os: 'linux' }, { funcs })).toBe('linuxlinux');
    expect(error('{{twice .Size}}', image, { funcs }).message).toBe(
      'template: :1:8: executing "" at <.Size>: wrong type for value; expected string; got int',
    );
    expect(caught(() => parseTemplate('{{twice 1}}'), TemplateError).message).toBe(
      'template: :1: function "twice" not defined',
    );
  });
});

describe('errors', () => {
  it('say where: line, byte column, the node, and the reason', () => {
    // Bytes, not characters; and for a chain Go points at its second field.
    const e = error('line one\né {{.Size.X}}');
    expect(e.message).toBe(
      'template: :2:10: executing "" at <.Size.X>: can\'t evaluate field X in type int',
    );
    expect(e.data).toMatchObject({ line: 2, col: 10, context: '.Size.X' });
    expect(error('{{.Size.X}}').data).toMatchObject({ col: 7 });
    const p = caught(() => parseTemplate('ok\n{{if}}'), TemplateError);
    expect(p.message).toBe('template: :2: missing value for if');
    expect(p.data).toMatchObject({ line: 2, reason: 'missing value for if' });
  });
});

describe('renderRows', () => {
  it('runs the format once per row, a newline after each', () => {
    const rows = [
      { Repository: 'alpine', Tag: '3.19' },
      { Repository: 'busybox', Tag: 'latest' },
    ];
    expect(renderRows('{{.Repository}}:{{.Tag}}', rows)).toBe('alpine:3.19\nbusybox:latest\n');
    expect(renderRows('  {{.Tag}}\\t{{.Repository}}\\n  ', rows)).toBe(
      '3.19\talpine\n\nlatest\tbusybox\n\n',
    );
    expect(renderRows('anything', [])).toBe('');
  });

  it('"json" is {{json .}} of the row as Docker marshals a formatter context', () => {
    const rows = [{ Tag: '1', Digest: '<none>', A: 'x&y' }];
    expect(renderRows('json', rows)).toBe(
      '{"A":"x\\u0026y","Digest":"\\u003cnone\\u003e","Tag":"1"}\n',
    );
    expect(renderRows('{{json .Digest}}', rows)).toBe('"<none>"\n');
  });
});

describe('renderTable', () => {
  const rows = [
    { ID: '54604c008b04', Repository: 'example/app', Tag: '1.0', Size: '5.6MB' },
    {
      ID: '0e65fc287d0f',
      Repository: 'averyveryverylongrepositoryname/thing',
      Tag: 'v2',
      Size: '0B',
    },
  ];
  const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Size: 'SIZE' };

  it('heads the columns and pads them to at least 10, with 3 spaces after the widest', () => {
    expect(renderTable('table {{.Repository}}\\t{{.Tag}}', rows.slice(0, 1), headers)).toBe(
      'REPOSITORY    TAG\nexample/app   1.0\n',
    );
    expect(renderTable('table {{.Tag}}\\t{{.ID}}\\t{{.Size}}', rows, headers)).toBe(
      [
        'TAG       IMAGE ID       SIZE',
        '1.0       54604c008b04   5.6MB',
        'v2        0e65fc287d0f   0B',
        '',
      ].join('\n'),
    );
  });

  it('renders the header with the functions leaving titles alone, pad kept', () => {
    const format =
      'table {{upper .Tag}}\\t{{json .ID}}\\t{{truncate .Repository 3}}|{{pad .Size 1 1}}';
    expect(renderTable(format, rows.slice(0, 1), headers).split('\n')[0]).toBe(
      'TAG       IMAGE ID         REPOSITORY| SIZE ',
    );
  });

  it('prints a header even with no rows, and <no value> for a field it has no title for', () => {
    expect(renderTable('table {{.Tag}}\\t{{.Nope}}', [], headers)).toBe('TAG       <no value>\n');
  });

  it('keeps a header cut short by an error, as Docker ignores it', () => {
    const format = 'table {{.Tag}}\\t{{slice .Tag 1}}';
    expect(renderTable(format, rows.slice(0, 1), headers)).toBe('TAG       AG\n1.0       .0\n');
    const failing = 'table {{.Tag}}\\t{{index .Tag 9}}x';
    expect(caught(() => renderTable(failing, rows, headers), TemplateError).message).toContain(
      'error calling index: index out of range: 9',
    );
  });

  it('renders a format without "table" as rows', () => {
    expect(renderTable('{{.Tag}}', rows, headers)).toBe('1.0\nv2\n');
  });

  it('counts East Asian wide characters as two columns', () => {
    const wide = [{ Name: '一二三', Tag: 'x' }];
    expect(renderTable('table {{.Name}}\\t{{.Tag}}', wide, { Name: 'NAME', Tag: 'TAG' })).toBe(
      'NAME      TAG\n一二三    x\n',
    );
  });
});

describe('inputs too large to build first', () => {
  it('ranges over an integer as it counts, and stops at break without a list of the rest', () => {
    // A list of 1e11 entries could not be made; Go counts, and so does this.
    expect(run('{{range $i := 100000000000}}{{if eq $i 3}}{{break}}{{end}}{{$i}}{{end}}')).toBe(
      '012',
    );
    expect(run('{{range 0}}x{{else}}none{{end}}|{{range 3}}{{.}}{{end}}')).toBe('none|012');
  });

  it('refuses a pad wider than a string can be, in one line', () => {
    expect(error('{{pad "s" 999999999 1}}').message).toBe(
      'template: :1:2: executing "" at <pad "s" 999999999 1>: error calling pad: pad: 999999999 + 1 spaces make a string longer than 268435456',
    );
  });
});
