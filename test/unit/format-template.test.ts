import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render, TemplateError } from '../../src/cli/format/template.js';

const data = {
  Name: 'web',
  Config: { Image: 'busybox', Labels: { 'com.example.a': '1', b: 'two' }, Env: ['A=1', 'B=2'] },
  State: { Running: true, ExitCode: 0, Health: null },
  Ports: [] as string[],
  Count: 3,
};

test('fields, nested fields and missing map keys', () => {
  assert.equal(render('{{.Name}} {{.Config.Image}}', data), 'web busybox');
  assert.equal(render('{{.Nope}}', data), '<no value>');
  assert.equal(render('{{.State.Health}}', data), '<no value>');
  assert.equal(render('{{.Config.Env}}', data), '[A=1 B=2]');
  assert.equal(render('{{.Config.Labels}}', data), 'map[b:two com.example.a:1]');
  assert.equal(render('{{.Count}}', data), '3');
});

test('json, index, join, case functions', () => {
  assert.equal(render('{{json .Config.Env}}', data), '["A=1","B=2"]');
  assert.equal(render('{{json .}}', { a: '<b>' }), '{"a":"<b>"}');
  assert.equal(render('{{index .Config.Labels "com.example.a"}}', data), '1');
  assert.equal(render('{{index .Config.Env 1}}', data), 'B=2');
  assert.equal(render('{{join .Config.Env ","}}', data), 'A=1,B=2');
  assert.equal(
    render('{{upper .Name}} {{lower "AbC"}} {{title "hello world"}}', data),
    'WEB abc Hello World',
  );
  assert.equal(render('{{.Name | upper}}', data), 'WEB');
  assert.equal(render('{{printf "%s-%d|%5s|%-4s|" .Name .Count "x" "y"}}', data), 'web-3|    x|y   |');
  assert.equal(render('{{println .Name}}', data), 'web\n');
  assert.equal(render('{{len .Config.Env}}', data), '2');
  assert.equal(render('{{split "a:b" ":"}}', {}), '[a b]');
});

test('if/else, else if, with, range with variables, trim markers', () => {
  assert.equal(render('{{if .State.Running}}up{{else}}down{{end}}', data), 'up');
  assert.equal(render('{{if .Ports}}p{{else if eq .Name "web"}}w{{else}}x{{end}}', data), 'w');
  assert.equal(render('{{if not .State.Running}}a{{else}}b{{end}}', data), 'b');
  assert.equal(render('{{with .Config}}{{.Image}}{{end}}', data), 'busybox');
  assert.equal(render('{{range .Config.Env}}[{{.}}]{{end}}', data), '[A=1][B=2]');
  assert.equal(
    render('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', data),
    'b=two;com.example.a=1;',
  );
  assert.equal(
    render('{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{$.Name}};{{end}}', data),
    '0:A=1 web;1:B=2 web;',
  );
  assert.equal(render('{{range .Ports}}x{{else}}none{{end}}', data), 'none');
  assert.equal(render('a  {{- .Name -}}  b', data), 'awebb');
  assert.equal(render('{{$n := .Name}}{{$n}}', data), 'web');
  assert.equal(render('{{(index .Config.Env 0)}}', data), 'A=1');
  assert.equal(render('{{eq .Count 3}} {{ne .Name "x"}} {{gt .Count 2}}', data), 'true true true');
  assert.equal(
    render('{{if and .State.Running .Name}}both{{end}} {{or .Ports .Name}} {{and .Name .Ports}}', data),
    'both web []',
  );
  assert.equal(render('{{if or (eq .Name "x") (eq .Name "web")}}match{{end}}', data), 'match');
});

test('methods with arguments and errors for unknown fields of row types', () => {
  class Row {
    ID = 'abc';
    Label(k: string): string {
      return k === 'x' ? 'y' : '';
    }
  }
  assert.equal(render('{{.ID}} {{.Label "x"}}', new Row()), 'abc y');
  assert.throws(() => render('{{.Nope}}', new Row()), TemplateError);
  assert.throws(() => render('{{nofunc .ID}}', new Row()), /function "nofunc" not defined/);
  assert.throws(() => render('{{if .ID}}', new Row()), TemplateError);
});
