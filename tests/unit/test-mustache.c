/* test-mustache.c - the Mustache engine against the rules of the core spec.
 *
 * Most cases are rows of a table: template, data, partials, expected output.
 * Data is JSON written with single quotes for readability (they are turned
 * into double quotes before parsing; a real apostrophe is written \u0027).
 */
#include <string.h>

#include "mustache.h"

typedef struct {
	const char *name;
	const char *tmpl;
	const char *data;
	/* name, source, name, source, ..., NULL */
	const char *partials[7];
	const char *expected;
} mcase;

static const mcase interpolation_cases[] = {
    {"no tags",
     "Good morning from the care circle.\n",
     "{}",
     {NULL},
     "Good morning from the care circle.\n"},
    {"basic", "Hello, {{name}}!\n", "{'name':'Maria'}", {NULL}, "Hello, Maria!\n"},
    {"html escaping",
     "Subject: {{subject}}",
     "{'subject':'Dosing <b>&</b> \\u0022timing\\u0022 isn\\u0027t easy'}",
     {NULL},
     "Subject: Dosing &lt;b&gt;&amp;&lt;/b&gt; &quot;timing&quot; isn&#39;t easy"},
    {"triple mustache",
     "Subject: {{{subject}}}",
     "{'subject':'<b>A & B</b> \\u0022q\\u0022'}",
     {NULL},
     "Subject: <b>A & B</b> \"q\""},
    {"ampersand",
     "Subject: {{&subject}}",
     "{'subject':'<b>A & B</b> \\u0022q\\u0022'}",
     {NULL},
     "Subject: <b>A & B</b> \"q\""},
    {"integer", "{{count}} new messages", "{'count':85}", {NULL}, "85 new messages"},
    {"triple integer", "{{{count}}} new messages", "{'count':85}", {NULL}, "85 new messages"},
    {"ampersand integer", "{{&count}} new messages", "{'count':85}", {NULL}, "85 new messages"},
    {"decimal", "{{dose}} mg", "{'dose':1.210}", {NULL}, "1.21 mg"},
    {"triple decimal", "{{{dose}}} mg", "{'dose':1.210}", {NULL}, "1.21 mg"},
    {"ampersand decimal", "{{&dose}} mg", "{'dose':1.210}", {NULL}, "1.21 mg"},
    {"negative integer", "{{n}}", "{'n':-3}", {NULL}, "-3"},
    {"whole double", "{{n}}", "{'n':2.0}", {NULL}, "2"},
    {"tenth", "{{n}}", "{'n':0.1}", {NULL}, "0.1"},
    {"big integer", "{{n}}", "{'n':9007199254740993}", {NULL}, "9007199254740993"},
    {"exponent", "{{n}}", "{'n':1e21}", {NULL}, "1e+21"},
    {"boolean", "{{t}}/{{f}}", "{'t':true,'f':false}", {NULL}, "true/false"},
    {"null", "[{{n}}]", "{'n':null}", {NULL}, "[]"},
    {"context miss", "Reply to ({{missing}})", "{}", {NULL}, "Reply to ()"},
    {"triple context miss", "Reply to ({{{missing}}})", "{}", {NULL}, "Reply to ()"},
    {"ampersand context miss", "Reply to ({{&missing}})", "{}", {NULL}, "Reply to ()"},
    {"object prints nothing", "[{{o}}]", "{'o':{'a':1}}", {NULL}, "[]"},
    {"array prints nothing", "[{{l}}]", "{'l':[1,2]}", {NULL}, "[]"},
    {"dotted",
     "{{person.name}} == {{#person}}{{name}}{{/person}}",
     "{'person':{'name':'Amara'}}",
     {NULL},
     "Amara == Amara"},
    {"dotted triple",
     "{{{person.name}}} == {{#person}}{{{name}}}{{/person}}",
     "{'person':{'name':'A&B'}}",
     {NULL},
     "A&B == A&B"},
    {"dotted ampersand",
     "{{&person.name}} == {{#person}}{{&name}}{{/person}}",
     "{'person':{'name':'A&B'}}",
     {NULL},
     "A&B == A&B"},
    {"dotted arbitrary depth",
     "{{a.b.c.d.e.name}}",
     "{'a':{'b':{'c':{'d':{'e':{'name':'Phil'}}}}}}",
     {NULL},
     "Phil"},
    {"dotted broken chain", "[{{a.b.c}}]", "{'a':{}}", {NULL}, "[]"},
    {"dotted broken chain resolution",
     "[{{a.b.c.name}}]",
     "{'a':{'b':{}},'c':{'name':'Jim'}}",
     {NULL},
     "[]"},
    {"dotted initial resolution",
     "{{#a}}{{b.c.d.e.name}}{{/a}}",
     "{'a':{'b':{'c':{'d':{'e':{'name':'Phil'}}}}},'b':{'c':{'d':{'e':{'name':'Wrong'}}}}}",
     {NULL},
     "Phil"},
    {"dotted context precedence",
     "[{{#a}}{{b.c}}{{/a}}]",
     "{'a':{'b':{}},'b':{'c':'ERROR'}}",
     {NULL},
     "[]"},
    {"dotted through a string", "[{{a.length}}]", "{'a':'text'}", {NULL}, "[]"},
    {"dotted names are never single keys", "[{{a.b}}]", "{'a.b':'c'}", {NULL}, "[]"},
    {"leading dot",
     "{{#a}}{{.name}}{{/a}}{{#b}}{{.name}}{{/b}}",
     "{'a':{},'b':{'name':'Name'},'name':'Fail'}",
     {NULL},
     "Name"},
    {"null member masks outer",
     "{{#inner}}[{{name}}]{{/inner}}",
     "{'name':'outer','inner':{'name':null}}",
     {NULL},
     "[]"},
    {"implicit iterator", "Hello, {{.}}!", "'world'", {NULL}, "Hello, world!"},
    {"implicit iterator escaped", "{{.}}", "'& \\u0022 < >'", {NULL}, "&amp; &quot; &lt; &gt;"},
    {"implicit iterator triple", "{{{.}}}", "'& \\u0022 < >'", {NULL}, "& \" < >"},
    {"implicit iterator ampersand", "{{& .}}", "'& \\u0022 < >'", {NULL}, "& \" < >"},
    {"implicit iterator integer", "{{.}} replies", "85", {NULL}, "85 replies"},
    {"surrounding whitespace", "| {{string}} |", "{'string':'---'}", {NULL}, "| --- |"},
    {"triple surrounding whitespace", "| {{{string}}} |", "{'string':'---'}", {NULL}, "| --- |"},
    {"ampersand surrounding whitespace", "| {{&string}} |", "{'string':'---'}", {NULL}, "| --- |"},
    {"interpolation never standalone", "  {{string}}\n", "{'string':'---'}", {NULL}, "  ---\n"},
    {"triple never standalone", "  {{{string}}}\n", "{'string':'---'}", {NULL}, "  ---\n"},
    {"ampersand never standalone", "  {{&string}}\n", "{'string':'---'}", {NULL}, "  ---\n"},
    {"missing value keeps its line", "a\n  {{nothing}}\nb", "{}", {NULL}, "a\n  \nb"},
    {"padding", "|{{ string }}|", "{'string':'---'}", {NULL}, "|---|"},
    {"triple padding", "|{{{ string }}}|", "{'string':'---'}", {NULL}, "|---|"},
    {"ampersand padding", "|{{& string }}|", "{'string':'---'}", {NULL}, "|---|"},
    {"tab padding", "|{{\tstring\t}}|", "{'string':'---'}", {NULL}, "|---|"},
    {"utf-8", "{{who}} schrieb:", "{'who':'Zoë Müller'}", {NULL}, "Zoë Müller schrieb:"},
    {"template text is never escaped", "a < b & {{x}}", "{'x':'c'}", {NULL}, "a < b & c"},
    {"single braces are text",
     "function() { return {a}; }",
     "{}",
     {NULL},
     "function() { return {a}; }"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

static const mcase section_cases[] = {
    {"truthy",
     "\"{{#boolean}}This should be rendered.{{/boolean}}\"",
     "{'boolean':true}",
     {NULL},
     "\"This should be rendered.\""},
    {"falsey", "\"{{#boolean}}Not rendered.{{/boolean}}\"", "{'boolean':false}", {NULL}, "\"\""},
    {"null is falsey", "\"{{#null}}Not rendered.{{/null}}\"", "{'null':null}", {NULL}, "\"\""},
    {"context miss is falsey", "[{{#missing}}Found it!{{/missing}}]", "{}", {NULL}, "[]"},
    {"object context",
     "{{#author}}From {{name}} <{{email}}>{{/author}}",
     "{'author':{'name':'Dr Okafor','email':'okafor@clinic.example'}}",
     {NULL},
     "From Dr Okafor <okafor@clinic.example>"},
    {"parent contexts",
     "{{#sec}}{{a}}, {{b}}, {{c.d}}{{/sec}}",
     "{'a':'foo','b':'wrong','sec':{'b':'bar'},'c':{'d':'baz'}}",
     {NULL},
     "foo, bar, baz"},
    {"variable test", "{{#foo}}{{.}} is {{foo}}{{/foo}}", "{'foo':'bar'}", {NULL}, "bar is bar"},
    {"list contexts",
     "{{#tops}}{{#middles}}{{tname.lower}}{{mname}}.{{#bottoms}}{{tname.upper}}{{mname}}{{bname}}.{"
     "{/bottoms}}{{/middles}}{{/tops}}",
     "{'tops':[{'tname':{'upper':'A','lower':'a'},'middles':[{'mname':'1','bottoms':[{'bname':'x'},"
     "{'bname':'y'}]}]}]}",
     {NULL},
     "a1.A1x.A1y."},
    {"deeply nested",
     "{{#a}}\n{{one}}\n{{#b}}\n{{one}}{{two}}{{one}}\n{{#c}}\n{{one}}{{two}}{{three}}{{two}}{{one}}"
     "\n{{/c}}\n{{one}}{{two}}{{one}}\n{{/b}}\n{{one}}\n{{/a}}\n",
     "{'a':{'one':1},'b':{'two':2},'c':{'three':3}}",
     {NULL},
     "1\n121\n12321\n121\n1\n"},
    {"list",
     "{{#threads}}[{{subject}}]{{/threads}}",
     "{'threads':[{'subject':'Night shifts'},{'subject':'Wound care'},{'subject':'Rota'}]}",
     {NULL},
     "[Night shifts][Wound care][Rota]"},
    {"empty list", "\"{{#list}}Yay lists!{{/list}}\"", "{'list':[]}", {NULL}, "\"\""},
    {"strings are not lists", "{{#section}}foo{{/section}}", "{'section':'123'}", {NULL}, "foo"},
    {"empty string is truthy", "{{#s}}yes{{/s}}", "{'s':''}", {NULL}, "yes"},
    {"zero is truthy", "{{#n}}yes{{/n}}", "{'n':0}", {NULL}, "yes"},
    {"empty object is truthy", "{{#o}}yes{{/o}}", "{'o':{}}", {NULL}, "yes"},
    {"doubled",
     "{{#bool}}\n* first\n{{/bool}}\n* {{two}}\n{{#bool}}\n* third\n{{/bool}}\n",
     "{'bool':true,'two':'second'}",
     {NULL},
     "* first\n* second\n* third\n"},
    {"nested truthy",
     "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |",
     "{'bool':true}",
     {NULL},
     "| A B C D E |"},
    {"nested falsey",
     "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |",
     "{'bool':false}",
     {NULL},
     "| A  E |"},
    {"implicit iterator strings",
     "{{#list}}({{.}}){{/list}}",
     "{'list':['a','b','c','d','e']}",
     {NULL},
     "(a)(b)(c)(d)(e)"},
    {"implicit iterator integers",
     "{{#list}}({{.}}){{/list}}",
     "{'list':[1,2,3,4,5]}",
     {NULL},
     "(1)(2)(3)(4)(5)"},
    {"implicit iterator decimals",
     "{{#list}}({{.}}){{/list}}",
     "{'list':[1.10,2.20,3.30,4.40,5.50]}",
     {NULL},
     "(1.1)(2.2)(3.3)(4.4)(5.5)"},
    {"implicit iterator arrays",
     "{{#list}}({{#.}}{{.}}{{/.}}){{/list}}",
     "{'list':[[1,2,3],['a','b','c']]}",
     {NULL},
     "(123)(abc)"},
    {"list items are pushed as they are",
     "{{#list}}[{{.}}]{{/list}}",
     "{'list':[true,false,null]}",
     {NULL},
     "[true][false][]"},
    {"list of strings escaped",
     "{{#l}}{{.}};{{/l}}",
     "{'l':['<a>','b&c']}",
     {NULL},
     "&lt;a&gt;;b&amp;c;"},
    {"dotted truthy", "\"{{#a.b.c}}Here{{/a.b.c}}\"", "{'a':{'b':{'c':true}}}", {NULL}, "\"Here\""},
    {"dotted falsey", "\"{{#a.b.c}}Here{{/a.b.c}}\"", "{'a':{'b':{'c':false}}}", {NULL}, "\"\""},
    {"dotted broken chain", "\"{{#a.b.c}}Here{{/a.b.c}}\"", "{'a':{}}", {NULL}, "\"\""},
    {"section pops its context",
     "{{#a}}{{x}}{{/a}}/{{x}}",
     "{'x':'outer','a':{'x':'inner'}}",
     {NULL},
     "inner/outer"},
    {"list items see outer names",
     "{{#people}}{{name}}@{{domain}} {{/people}}",
     "{'domain':'example.org','people':[{'name':'ann'},{'name':'bo'}]}",
     {NULL},
     "ann@example.org bo@example.org "},
    {"list of empty objects", "{{#l}}x{{/l}}", "{'l':[{},{},{}]}", {NULL}, "xxx"},
    {"surrounding whitespace",
     " | {{#boolean}}\t|\t{{/boolean}} | \n",
     "{'boolean':true}",
     {NULL},
     " | \t|\t | \n"},
    {"internal whitespace",
     " | {{#boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n",
     "{'boolean':true}",
     {NULL},
     " |  \n  | \n"},
    {"indented inline sections",
     " {{#boolean}}YES{{/boolean}}\n {{#boolean}}GOOD{{/boolean}}\n",
     "{'boolean':true}",
     {NULL},
     " YES\n GOOD\n"},
    {"standalone lines",
     "| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n",
     "{'boolean':true}",
     {NULL},
     "| This Is\n|\n| A Line\n"},
    {"indented standalone lines",
     "| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n",
     "{'boolean':true}",
     {NULL},
     "| This Is\n|\n| A Line\n"},
    {"tab-indented standalone lines",
     "a\n\t{{#b}} \t\nX\n \t{{/b}}\t\nc\n",
     "{'b':true}",
     {NULL},
     "a\nX\nc\n"},
    {"standalone crlf",
     "|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|",
     "{'boolean':true}",
     {NULL},
     "|\r\n|"},
    {"standalone without previous line",
     "  {{#boolean}}\n#{{/boolean}}\n/",
     "{'boolean':true}",
     {NULL},
     "#\n/"},
    {"standalone without newline",
     "#{{#boolean}}\n/\n  {{/boolean}}",
     "{'boolean':true}",
     {NULL},
     "#\n/\n"},
    {"standalone falsey removes lines",
     "a\n{{#b}}\nhidden\n{{/b}}\nz\n",
     "{'b':false}",
     {NULL},
     "a\nz\n"},
    {"lone cr is not a line ending", "{{#b}}\rX{{/b}}", "{'b':true}", {NULL}, "\rX"},
    {"two tags on a line are not standalone",
     "{{#a}}{{#b}}\nX\n{{/b}}{{/a}}\n",
     "{'a':true,'b':true}",
     {NULL},
     "\nX\n\n"},
    {"text after a tag keeps the line", "{{#b}} x\ny\n{{/b}}\n", "{'b':true}", {NULL}, " x\ny\n"},
    {"padding", "|{{# boolean }}={{/ boolean }}|", "{'boolean':true}", {NULL}, "|=|"},
    {"list standalone lines",
     "Threads:\n{{#threads}}\n- {{subject}}\n{{/threads}}\nEnd\n",
     "{'threads':[{'subject':'a'},{'subject':'b'}]}",
     {NULL},
     "Threads:\n- a\n- b\nEnd\n"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

static const mcase inverted_cases[] = {
    {"falsey",
     "\"{{^boolean}}This should be rendered.{{/boolean}}\"",
     "{'boolean':false}",
     {NULL},
     "\"This should be rendered.\""},
    {"truthy", "\"{{^boolean}}Not rendered.{{/boolean}}\"", "{'boolean':true}", {NULL}, "\"\""},
    {"null is falsey", "\"{{^null}}Rendered.{{/null}}\"", "{'null':null}", {NULL}, "\"Rendered.\""},
    {"context",
     "\"{{^context}}Hi {{name}}.{{/context}}\"",
     "{'context':{'name':'Joe'}}",
     {NULL},
     "\"\""},
    {"list", "\"{{^list}}{{n}}{{/list}}\"", "{'list':[{'n':1},{'n':2}]}", {NULL}, "\"\""},
    {"empty list",
     "\"{{^list}}No new messages.{{/list}}\"",
     "{'list':[]}",
     {NULL},
     "\"No new messages.\""},
    {"context miss", "[{{^missing}}Nothing here{{/missing}}]", "{}", {NULL}, "[Nothing here]"},
    {"empty string is truthy", "[{{^s}}no{{/s}}]", "{'s':''}", {NULL}, "[]"},
    {"doubled",
     "{{^bool}}\n* first\n{{/bool}}\n* {{two}}\n{{^bool}}\n* third\n{{/bool}}\n",
     "{'bool':false,'two':'second'}",
     {NULL},
     "* first\n* second\n* third\n"},
    {"nested falsey",
     "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |",
     "{'bool':false}",
     {NULL},
     "| A B C D E |"},
    {"nested truthy",
     "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |",
     "{'bool':true}",
     {NULL},
     "| A  E |"},
    {"dotted truthy", "\"{{^a.b.c}}Not Here{{/a.b.c}}\"", "{'a':{'b':{'c':true}}}", {NULL}, "\"\""},
    {"dotted falsey",
     "\"{{^a.b.c}}Not Here{{/a.b.c}}\"",
     "{'a':{'b':{'c':false}}}",
     {NULL},
     "\"Not Here\""},
    {"dotted broken chain", "\"{{^a.b.c}}Not Here{{/a.b.c}}\"", "{'a':{}}", {NULL}, "\"Not Here\""},
    {"surrounding whitespace",
     " | {{^boolean}}\t|\t{{/boolean}} | \n",
     "{'boolean':false}",
     {NULL},
     " | \t|\t | \n"},
    {"internal whitespace",
     " | {{^boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n",
     "{'boolean':false}",
     {NULL},
     " |  \n  | \n"},
    {"indented inline",
     " {{^boolean}}NO{{/boolean}}\n {{^boolean}}WAY{{/boolean}}\n",
     "{'boolean':false}",
     {NULL},
     " NO\n WAY\n"},
    {"standalone lines",
     "| This Is\n{{^boolean}}\n|\n{{/boolean}}\n| A Line\n",
     "{'boolean':false}",
     {NULL},
     "| This Is\n|\n| A Line\n"},
    {"indented standalone lines",
     "| This Is\n  {{^boolean}}\n|\n  {{/boolean}}\n| A Line\n",
     "{'boolean':false}",
     {NULL},
     "| This Is\n|\n| A Line\n"},
    {"standalone crlf",
     "|\r\n{{^boolean}}\r\n{{/boolean}}\r\n|",
     "{'boolean':false}",
     {NULL},
     "|\r\n|"},
    {"standalone without previous line",
     "  {{^boolean}}\n^{{/boolean}}\n/",
     "{'boolean':false}",
     {NULL},
     "^\n/"},
    {"standalone without newline",
     "^{{^boolean}}\n/\n  {{/boolean}}",
     "{'boolean':false}",
     {NULL},
     "^\n/\n"},
    {"padding", "|{{^ boolean }}={{/ boolean }}|", "{'boolean':false}", {NULL}, "|=|"},
    {"section and inverted",
     "{{#unread}}{{unread}} unread{{/unread}}{{^unread}}all read{{/unread}}",
     "{'unread':0}",
     {NULL},
     "0 unread"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

static const mcase comment_cases[] = {
    {"inline", "12345{{! Comment Block! }}67890", "{}", {NULL}, "1234567890"},
    {"multiline",
     "12345{{!\n  This is a\n  multi-line comment...\n}}67890\n",
     "{}",
     {NULL},
     "1234567890\n"},
    {"standalone", "Begin.\n{{! Comment Block! }}\nEnd.\n", "{}", {NULL}, "Begin.\nEnd.\n"},
    {"indented standalone",
     "Begin.\n  {{! Indented Comment Block! }}\nEnd.\n",
     "{}",
     {NULL},
     "Begin.\nEnd.\n"},
    {"standalone crlf", "|\r\n{{! Standalone Comment }}\r\n|", "{}", {NULL}, "|\r\n|"},
    {"standalone without previous line",
     "  {{! I\u2019m Still Standalone }}\n!",
     "{}",
     {NULL},
     "!"},
    {"standalone without newline", "!\n  {{! I\u2019m Still Standalone }}", "{}", {NULL}, "!\n"},
    {"multiline standalone",
     "Begin.\n{{!\nSomething's going on here...\n}}\nEnd.\n",
     "{}",
     {NULL},
     "Begin.\nEnd.\n"},
    {"indented multiline standalone",
     "Begin.\n  {{!\n    Something's going on here...\n  }}\nEnd.\n",
     "{}",
     {NULL},
     "Begin.\nEnd.\n"},
    {"indented inline", "  12 {{! 34 }}\n", "{}", {NULL}, "  12 \n"},
    {"surrounding whitespace", "12345 {{! Comment Block! }} 67890", "{}", {NULL}, "12345  67890"},
    {"name collision",
     "comments never show: >{{! comment }}<",
     "{'! comment':1,'! comment ':2,'!comment':3,'comment':4}",
     {NULL},
     "comments never show: ><"},
    {"comment ends at the first closing delimiter", "a{{! {{not a tag}}b", "{}", {NULL}, "ab"},
    {"two comments on a line are not standalone", "{{! a }}{{! b }}\nx", "{}", {NULL}, "\nx"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

static const mcase delimiter_cases[] = {
    {"pair behavior", "{{=<% %>=}}(<%text%>)", "{'text':'Hey!'}", {NULL}, "(Hey!)"},
    {"special characters", "({{=[ ]=}}[text])", "{'text':'It worked!'}", {NULL}, "(It worked!)"},
    {"sections",
     "[\n{{#section}}\n  {{data}}\n  |data|\n{{/section}}\n\n{{= | | =}}\n|#section|\n  {{data}}\n "
     " |data|\n|/section|\n]\n",
     "{'section':true,'data':'I got interpolated.'}",
     {NULL},
     "[\n  I got interpolated.\n  |data|\n\n  {{data}}\n  I got interpolated.\n]\n"},
    {"inverted sections",
     "[\n{{^section}}\n  {{data}}\n  |data|\n{{/section}}\n\n{{= | | =}}\n|^section|\n  {{data}}\n "
     " |data|\n|/section|\n]\n",
     "{'section':false,'data':'I got interpolated.'}",
     {NULL},
     "[\n  I got interpolated.\n  |data|\n\n  {{data}}\n  I got interpolated.\n]\n"},
    {"partial inheritance",
     "[ {{>include}} ]\n{{= | | =}}\n[ |>include| ]\n",
     "{'value':'yes'}",
     {"include", ".{{value}}.", NULL},
     "[ .yes. ]\n[ .yes. ]\n"},
    {"post-partial behavior",
     "[ {{>include}} ]\n[ .{{value}}.  .|value|. ]\n",
     "{'value':'yes'}",
     {"include", ".{{value}}. {{= | | =}} .|value|.", NULL},
     "[ .yes.  .yes. ]\n[ .yes.  .|value|. ]\n"},
    {"surrounding whitespace", "| {{=@ @=}} |", "{}", {NULL}, "|  |"},
    {"outlying whitespace inline", " | {{=@ @=}}\n", "{}", {NULL}, " | \n"},
    {"standalone", "Begin.\n{{=@ @=}}\nEnd.\n", "{}", {NULL}, "Begin.\nEnd.\n"},
    {"indented standalone", "Begin.\n  {{=@ @=}}\nEnd.\n", "{}", {NULL}, "Begin.\nEnd.\n"},
    {"standalone crlf", "|\r\n{{= @ @ =}}\r\n|", "{}", {NULL}, "|\r\n|"},
    {"standalone without previous line", "  {{=@ @=}}\n=", "{}", {NULL}, "="},
    {"standalone without newline", "=\n  {{=@ @=}}", "{}", {NULL}, "=\n"},
    {"pair with padding", "|{{= @   @ =}}|", "{}", {NULL}, "||"},
    {"triple and ampersand with new delimiters",
     "{{=<% %>=}}<%{html}%> <%& html%> <%html%>",
     "{'html':'<i>'}",
     {NULL},
     "<i> <i> &lt;i&gt;"},
    {"long delimiters", "{{=[[ ]]=}}[[#items]][[.]],[[/items]]", "{'items':[1,2]}", {NULL}, "1,2,"},
    {"changing back", "{{=<% %>=}}<%a%><%={{ }}=%>{{a}}", "{'a':'x'}", {NULL}, "xx"},
    {"old delimiters become text", "{{=<% %>=}}{{a}}<%a%>", "{'a':'x'}", {NULL}, "{{a}}x"},
    {"comment with new delimiters", "{{=<% %>=}}a<%! hidden %>b", "{}", {NULL}, "ab"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

static const mcase partial_cases[] = {
    {"basic", "\"{{>text}}\"", "{}", {"text", "from partial", NULL}, "\"from partial\""},
    {"failed lookup", "\"{{>text}}\"", "{}", {NULL}, "\"\""},
    {"context",
     "\"{{>partial}}\"",
     "{'text':'content'}",
     {"partial", "*{{text}}*", NULL},
     "\"*content*\""},
    {"recursion",
     "{{>node}}",
     "{'content':'X','nodes':[{'content':'Y','nodes':[]}]}",
     {"node", "{{content}}<{{#nodes}}{{>node}}{{/nodes}}>", NULL},
     "X<Y<>>"},
    {"surrounding whitespace", "| {{>partial}} |", "{}", {"partial", "\t|\t", NULL}, "| \t|\t |"},
    {"inline indentation",
     "  {{data}}  {{> partial}}\n",
     "{'data':'|'}",
     {"partial", ">\n>", NULL},
     "  |  >\n>\n"},
    {"standalone crlf", "|\r\n{{>partial}}\r\n|", "{}", {"partial", ">", NULL}, "|\r\n>|"},
    {"standalone without previous line",
     "  {{>partial}}\n>",
     "{}",
     {"partial", ">\n>", NULL},
     "  >\n  >>"},
    {"standalone without newline",
     ">\n  {{>partial}}",
     "{}",
     {"partial", ">\n>", NULL},
     ">\n  >\n  >"},
    {"standalone indentation",
     "\\\n {{>partial}}\n/\n",
     "{'content':'<\\n->'}",
     {"partial", "|\n{{{content}}}a b{{{content}}}c\n|\n", NULL},
     "\\\n |\n <\n->a b<\n->c\n |\n/\n"},
    {"padding", "|{{> partial }}|", "{}", {"partial", "[]", NULL}, "|[]|"},
    {"nested indentation adds up",
     "<ul>\n  {{>items}}\n</ul>\n",
     "{'items':[{'name':'a'},{'name':'b'}]}",
     {"items", "{{#items}}\n  {{>item}}\n{{/items}}\n", "item", "<li>{{name}}</li>\n", NULL},
     "<ul>\n    <li>a</li>\n    <li>b</li>\n</ul>\n"},
    {"partial in a list",
     "{{#people}}{{>p}}{{/people}}",
     "{'people':[{'name':'a'},{'name':'b'}]}",
     {"p", "[{{name}}]", NULL},
     "[a][b]"},
    {"partial delimiters stay inside",
     "{{>p}}{{x}}",
     "{'x':'1'}",
     {"p", "{{=<% %>=}}<%x%>", NULL},
     "11"},
    {"indentation on blank lines", "  {{>p}}\n", "{}", {"p", "a\n\nb\n", NULL}, "  a\n  \n  b\n"},
    {"tab indentation", "\t{{>p}}\n", "{}", {"p", "x\ny", NULL}, "\tx\n\ty"},
    {"crlf partial indentation", "  {{>p}}\r\n", "{}", {"p", "a\r\nb\r\n", NULL}, "  a\r\n  b\r\n"},
    {"same partial at two indentations",
     "  {{>p}}\n{{>p}}\n",
     "{}",
     {"p", "a\nb\n", NULL},
     "  a\n  b\na\nb\n"},
    {"standalone lines inside an indented partial",
     "  {{>p}}\n",
     "{'l':[1,2]}",
     {"p", "{{#l}}\n- {{.}}\n{{/l}}\n", NULL},
     "  - 1\n  - 2\n"},
    {"partial escaping follows the context",
     "{{>p}}",
     "{'x':'<&>'}",
     {"p", "{{x}}|{{{x}}}", NULL},
     "&lt;&amp;&gt;|<&>"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

/* Cases rendered in the text context: nothing is escaped. */
static const mcase text_cases[] = {
    {"text context does not escape",
     "Subject: {{subject}}",
     "{'subject':'Re: <urgent> A&E \\u0022rota\\u0022 isn\\u0027t done'}",
     {NULL},
     "Subject: Re: <urgent> A&E \"rota\" isn't done"},
    {"text implicit iterator", "{{#l}}{{.}} {{/l}}", "{'l':['<a>','&']}", {NULL}, "<a> & "},
    {"text triple", "{{{x}}}{{&x}}", "{'x':'<>'}", {NULL}, "<><>"},
    {"text partial", "{{>p}}", "{'x':'a&b'}", {"p", "{{x}}", NULL}, "a&b"},
    {"text numbers", "{{n}} {{d}}", "{'n':3,'d':2.5}", {NULL}, "3 2.5"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

static char *
table_partial(const char *name, gpointer user_data)
{
	const char *const *p = user_data;

	for (; p[0] != NULL; p += 2)
		if (strcmp(p[0], name) == 0)
			return g_strdup(p[1]);
	return NULL;
}

static JsonNode *
parse_data(const char *quoted)
{
	g_autofree char *json = g_strdup(quoted);
	GError *error = NULL;
	JsonNode *node;

	g_strdelimit(json, "'", '"');
	node = json_from_string(json, &error);
	g_assert_no_error(error);
	return node;
}

static void
run_cases(const mcase *cases, rd_mustache_escape esc)
{
	guint count = 0;

	for (const mcase *c = cases; c->name != NULL; c++) {
		g_autoptr(JsonNode) data = parse_data(c->data);
		GError *error = NULL;
		g_autofree char *got = rd_mustache_render_string(c->tmpl, data, esc, table_partial,
		                                                 (gpointer)c->partials, &error);

		if (error != NULL)
			g_test_message("case '%s': %s", c->name, error->message);
		g_assert_no_error(error);
		if (g_strcmp0(got, c->expected) != 0) {
			g_autofree char *g = g_strescape(got, NULL);
			g_autofree char *w = g_strescape(c->expected, NULL);

			g_test_message("case '%s'\n   got: \"%s\"\n  want: \"%s\"", c->name, g, w);
			g_test_fail();
		}
		count++;
	}
	g_assert_cmpuint(count, >, 0);
}

static void
test_interpolation(void)
{
	run_cases(interpolation_cases, RD_MUSTACHE_HTML);
}

static void
test_sections(void)
{
	run_cases(section_cases, RD_MUSTACHE_HTML);
}

static void
test_inverted(void)
{
	run_cases(inverted_cases, RD_MUSTACHE_HTML);
}

static void
test_comments(void)
{
	run_cases(comment_cases, RD_MUSTACHE_HTML);
}

static void
test_delimiters(void)
{
	run_cases(delimiter_cases, RD_MUSTACHE_HTML);
}

static void
test_partials(void)
{
	run_cases(partial_cases, RD_MUSTACHE_HTML);
}

static void
test_text_context(void)
{
	run_cases(text_cases, RD_MUSTACHE_TEXT);
}

/* Syntax errors: the template and the line the message must name. */
static const struct {
	const char *tmpl;
	const char *message;
} error_cases[] = {
    {"{{#a}}\nno end", "line 1: section {{#a}} is never closed"},
    {"a\n{{/a}}", "line 2: closing tag {{/a}} without an open section"},
    {"{{#a}}\n{{/b}}", "line 2: closing tag {{/b}} does not match section {{#a}} opened on line 1"},
    {"{{#a}}{{#b}}{{/a}}{{/b}}", "line 1: closing tag {{/a}} does not match"},
    {"Hello {{name", "line 1: tag {{ is never closed"},
    {"x\n\n{{=<% %>=}}<%foo", "line 3: tag <% is never closed"},
    {"{{{x}}", "line 1: tag {{ is never closed"},
    {"a\n{{= a =}}", "line 2: bad set-delimiter tag"},
    {"{{=a b c=}}", "line 1: bad set-delimiter tag"},
    {"{{=<% =}}", "line 1: bad set-delimiter tag"},
    {"one\ntwo {{}}", "line 2: empty tag"},
    {"{{#  }}", "line 1: empty tag"},
    {"{{#outer}}\n{{#inner}}\n{{/inner}}\n", "line 1: section {{#outer}} is never closed"},
};

static void
test_syntax_errors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		GError *error = NULL;
		rd_mustache *t = rd_mustache_compile(error_cases[i].tmpl, &error);

		g_assert_null(t);
		g_assert_error(error, RD_ERROR, RD_DATAERR);
		if (!g_str_has_prefix(error->message, error_cases[i].message)) {
			g_test_message("template %zu: got '%s', want prefix '%s'", i,
			               error->message, error_cases[i].message);
			g_test_fail();
		}
		g_error_free(error);
	}
}

/* A compiled template renders many times, with different data, appending. */
static void
test_compile_once(void)
{
	g_autoptr(rd_mustache) t =
	    rd_mustache_compile("{{#threads}}* {{subject}} "
	                        "({{count}})\n{{/threads}}{{^threads}}Nothing new.\n{{/threads}}",
	                        NULL);
	g_autoptr(GString) out = g_string_new("Digest\n");
	g_autoptr(JsonNode) one = parse_data("{'threads':[{'subject':'Night shifts','count':3}]}");
	g_autoptr(JsonNode) none = parse_data("{'threads':[]}");

	g_assert_nonnull(t);
	for (int i = 0; i < 3; i++) {
		g_string_assign(out, "Digest\n");
		g_assert_true(rd_mustache_render(t, one, RD_MUSTACHE_TEXT, NULL, NULL, out, NULL));
		g_assert_cmpstr(out->str, ==, "Digest\n* Night shifts (3)\n");
		g_assert_true(rd_mustache_render(t, none, RD_MUSTACHE_TEXT, NULL, NULL, out, NULL));
		g_assert_cmpstr(out->str, ==, "Digest\n* Night shifts (3)\nNothing new.\n");
	}
}

static void
test_null_data(void)
{
	g_autofree char *s = rd_mustache_render_string("a{{x}}{{.}}{{#x}}b{{/x}}{{^x}}c{{/x}}",
	                                               NULL, RD_MUSTACHE_HTML, NULL, NULL, NULL);

	g_assert_cmpstr(s, ==, "ac");
}

static int calls;

static char *
counting_partial(const char *name, gpointer user_data)
{
	calls++;
	if (strcmp(name, "row") == 0)
		return g_strdup(user_data);
	return NULL;
}

/* Partials are compiled once and reused across renders with the same
 * source of partials; another source starts afresh. */
static void
test_partial_cache(void)
{
	g_autoptr(rd_mustache) t = rd_mustache_compile("{{#l}}{{>row}}{{>gone}}{{/l}}", NULL);
	g_autoptr(JsonNode) data = parse_data("{'l':[1,2,3]}");
	g_autoptr(GString) out = g_string_new(NULL);
	char first[] = "<{{.}}>";
	char second[] = "[{{.}}]";

	calls = 0;
	g_assert_true(
	    rd_mustache_render(t, data, RD_MUSTACHE_HTML, counting_partial, first, out, NULL));
	g_assert_true(
	    rd_mustache_render(t, data, RD_MUSTACHE_HTML, counting_partial, first, out, NULL));
	g_assert_cmpstr(out->str, ==, "<1><2><3><1><2><3>");
	g_assert_cmpint(calls, ==, 2);
	g_string_truncate(out, 0);
	g_assert_true(
	    rd_mustache_render(t, data, RD_MUSTACHE_HTML, counting_partial, second, out, NULL));
	g_assert_cmpstr(out->str, ==, "[1][2][3]");
	g_assert_cmpint(calls, ==, 4);
	rd_mustache_forget_partials(t);
	g_assert_true(
	    rd_mustache_render(t, data, RD_MUSTACHE_HTML, counting_partial, second, out, NULL));
	g_assert_cmpint(calls, ==, 6);
}

static char *
self_partial(const char *name, gpointer user_data)
{
	return g_strdup(user_data);
}

/* Runaway recursion is an error, and the output is left as it was. */
static void
test_depth_limit(void)
{
	g_autoptr(rd_mustache) t = rd_mustache_compile("{{>loop}}", NULL);
	g_autoptr(GString) out = g_string_new("kept");
	g_autoptr(JsonNode) data = parse_data("{}");
	char loop[] = "x{{>loop}}";
	GError *error = NULL;

	g_assert_false(
	    rd_mustache_render(t, data, RD_MUSTACHE_HTML, self_partial, loop, out, &error));
	g_assert_error(error, RD_ERROR, RD_DATAERR);
	g_assert_nonnull(strstr(error->message, "nested more than 100"));
	g_assert_cmpstr(out->str, ==, "kept");
	g_error_free(error);
}

/* Legitimate recursion through data, 60 levels deep, works. */
static void
test_deep_recursion(void)
{
	g_autoptr(GString) json = g_string_new(NULL);
	g_autoptr(GString) want = g_string_new(NULL);
	g_autoptr(JsonNode) data = NULL;
	g_autofree char *got = NULL;
	char node[] = "({{n}}{{#kids}}{{>node}}{{/kids}})";

	for (int i = 0; i < 60; i++) {
		g_string_append_printf(json, "{\"n\":%d,\"kids\":[", i);
		g_string_append_printf(want, "(%d", i);
	}
	for (int i = 0; i < 60; i++) {
		g_string_append(json, "]}");
		g_string_append_c(want, ')');
	}
	data = json_from_string(json->str, NULL);
	got = rd_mustache_render_string("{{>node}}", data, RD_MUSTACHE_HTML, self_partial, node,
	                                NULL);
	g_assert_cmpstr(got, ==, want->str);
}

/* A syntax error in a partial surfaces at render time with its name. */
static void
test_bad_partial(void)
{
	GError *error = NULL;
	char bad[] = "ok\n{{#open}}";
	g_autofree char *got = rd_mustache_render_string("a {{>broken}} b", NULL, RD_MUSTACHE_HTML,
	                                                 self_partial, bad, &error);

	g_assert_null(got);
	g_assert_error(error, RD_ERROR, RD_DATAERR);
	g_assert_cmpstr(error->message, ==,
	                "partial broken: line 2: section {{#open}} is never closed");
	g_error_free(error);
}

/* A digest-shaped template: lists, standalone lines, nested partials. */
static void
test_digest_shape(void)
{
	const char *tmpl = "Your digest for {{date}}\n"
	                   "{{#communities}}\n"
	                   "\n"
	                   "== {{name}} ==\n"
	                   "{{#threads}}\n"
	                   "  {{>thread}}\n"
	                   "{{/threads}}\n"
	                   "{{/communities}}\n"
	                   "{{! footer }}\n"
	                   "-- \n"
	                   "Reply to this email to answer.\n";
	const char *partials[] = {"thread",
	                          "* {{subject}} ({{#people}}{{.}}, {{/people}}...)\n"
	                          "  {{#new}}\n"
	                          "  > {{{text}}}\n"
	                          "  {{/new}}\n",
	                          NULL};
	g_autoptr(JsonNode) data = parse_data(
	    "{'date':'Tue 4 March','communities':[{'name':'care','threads':["
	    "{'subject':'Night shifts','people':['Ann','Bo'],'new':[{'text':'I can do Friday.'}]},"
	    "{'subject':'Wound care','people':['Cy'],'new':[{'text':'See the "
	    "<b>photo</b>.'}]}]}]}");
	g_autofree char *got =
	    rd_mustache_render_string(tmpl, data, RD_MUSTACHE_TEXT, table_partial, partials, NULL);

	g_assert_cmpstr(got, ==,
	                "Your digest for Tue 4 March\n"
	                "\n"
	                "== care ==\n"
	                "  * Night shifts (Ann, Bo, ...)\n"
	                "    > I can do Friday.\n"
	                "  * Wound care (Cy, ...)\n"
	                "    > See the <b>photo</b>.\n"
	                "-- \n"
	                "Reply to this email to answer.\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mustache/interpolation", test_interpolation);
	g_test_add_func("/mustache/sections", test_sections);
	g_test_add_func("/mustache/inverted", test_inverted);
	g_test_add_func("/mustache/comments", test_comments);
	g_test_add_func("/mustache/delimiters", test_delimiters);
	g_test_add_func("/mustache/partials", test_partials);
	g_test_add_func("/mustache/text-context", test_text_context);
	g_test_add_func("/mustache/syntax-errors", test_syntax_errors);
	g_test_add_func("/mustache/compile-once", test_compile_once);
	g_test_add_func("/mustache/null-data", test_null_data);
	g_test_add_func("/mustache/partial-cache", test_partial_cache);
	g_test_add_func("/mustache/depth-limit", test_depth_limit);
	g_test_add_func("/mustache/deep-recursion", test_deep_recursion);
	g_test_add_func("/mustache/bad-partial", test_bad_partial);
	g_test_add_func("/mustache/digest-shape", test_digest_shape);
	return g_test_run();
}
