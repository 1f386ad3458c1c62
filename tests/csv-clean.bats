#!/usr/bin/env bats
# medcap-csv-clean: every format on real rows (tests/data/csv-clean, see
# tests/data/README), every option, and each bad input.
load common

CC="$DATA/csv-clean"

setup() {
    T="$BATS_TEST_TMPDIR"
}

@test "csv-clean keeps the command-line contract" {
    check_cli_contract medcap-csv-clean
}

@test "medpix folder: captions, keys, own splits, categories from the cases" {
    run -0 --separate-stderr medcap-csv-clean "$CC/medpix2"
    [ "${#lines[@]}" -eq 5 ]
    assert_line --index 0 --partial '{"id":"MPX1009_synpic46283","image":"dev/MPX1009_synpic46283.png","caption":"modality: ct, plane: coronal, category: diverticulum, diagnosis: the prostate is enlarged with several calcifications noted within. no dominant prostate mass is evident.","split":"dev","modality":"ct","modality_detail":"CT - noncontrast","plane":"coronal","category":"diverticulum","caption_text":"the prostate is enlarged with several calcifications noted within. no dominant prostate mass is evident.","case_id":"MPX1009","sex":"male","age":73,'
    assert_line --index 2 --partial '"category":"neoplasm, malignant (nos)"'
    assert_line --index 4 --partial '"image":"train/MPX1024_synpic40275.png"'
    assert_line --index 4 --partial '"split":"train"'
    [ -z "$stderr" ]
}

@test "medpix files given one by one, cases after descriptions, give the same records" {
    medcap-csv-clean "$CC/medpix2" > "$T/dir.ndjson"
    run -0 medcap-csv-clean "$CC/medpix2/descriptions_dev.jsonl" "$CC/medpix2/descriptions_train.jsonl" \
        "$CC/medpix2/data_train.jsonl" "$CC/medpix2/data_dev.jsonl"
    [ "$output" = "$(cat "$T/dir.ndjson")" ]
}

@test "medpix without its case files has no category" {
    run -0 medcap-csv-clean "$CC/medpix2/descriptions_dev.jsonl"
    assert_line --index 0 --partial '"caption":"modality: ct, plane: coronal, diagnosis: the prostate'
    refute_output --partial '"category"'
}

@test "medpix as a JSON array file (Descriptions.json) with images under images/" {
    { echo '['; paste -sd, "$CC/medpix2/descriptions_dev.jsonl"; echo ']'; } > "$T/Descriptions.json"
    { echo '['; paste -sd, "$CC/medpix2/data_dev.jsonl"; echo ']'; } > "$T/Case_topic.json"
    run -0 medcap-csv-clean --split all=1 "$T"
    [ "${#lines[@]}" -eq 4 ]
    assert_line --index 0 --partial '"image":"images/MPX1009_synpic46283.png","caption":"modality: ct, plane: coronal, category: diverticulum,'
    assert_line --index 0 --partial '"split":"all"'
}

@test "--stats counts rows, records, splits and drops by reason" {
    run -0 --separate-stderr medcap-csv-clean --stats "$CC/medpix2"
    [ "$stderr" = "medcap-csv-clean: rows 9, records 5, dropped 4
medcap-csv-clean: split dev 4
medcap-csv-clean: split train 1
medcap-csv-clean: dropped malformed 0
medcap-csv-clean: dropped placeholder 2
medcap-csv-clean: dropped short 1
medcap-csv-clean: dropped modality 1
medcap-csv-clean: dropped no-caption 0
medcap-csv-clean: dropped no-image 0
medcap-csv-clean: dropped duplicate 0
medcap-csv-clean: fields target: caption modality modality_detail plane category caption_text
medcap-csv-clean: fields context: sex age location location_category
medcap-csv-clean: fields identifying: id image case_id
medcap-csv-clean: fields other: split" ]
}

@test "--min-words sets the shortest free-text caption kept" {
    run -0 --separate-stderr medcap-csv-clean --min-words 0 --stats "$CC/medpix2"
    assert_output --partial '"caption_text":"pelvis"'
    [[ "$stderr" == *"dropped short 0"* ]]
    run -0 --separate-stderr medcap-csv-clean --min-words 1000 --stats "$CC/medpix2"
    assert_output ""
    [[ "$stderr" == *"dropped short 6"* ]]
    run -2 --separate-stderr medcap-csv-clean --min-words -1 "$CC/medpix2"
    assert_output ""
    [[ "$stderr" == *"--min-words '-1' is not a whole number"* ]]
}

@test "--template chooses the caption parts and their order" {
    run -0 medcap-csv-clean --template diagnosis,modality "$CC/medpix2/descriptions_train.jsonl"
    assert_line --index 0 --partial '"caption":"diagnosis: ct of the chest reveals'
    assert_line --index 0 --partial ', modality: ct","split"'
    run -0 medcap-csv-clean -t sex,age,diagnosis,location "$CC/medpix2"
    assert_line --index 0 --partial '"caption":"sex: male, age: 73, diagnosis: the prostate is enlarged with several calcifications noted within. no dominant prostate mass is evident., location: genitourinary"'
    run -0 medcap-csv-clean -t diagnosis,sex "$CC/cxr-covid"
    assert_line --index 1 --partial '"caption":"diagnosis: covid-19","split"'
}

@test "--template with a part the format lacks is a usage error" {
    run -2 --separate-stderr medcap-csv-clean --template plane,colour "$CC/medpix2"
    assert_output ""
    [[ "$stderr" == *"--template: no part 'colour' in medpix records (parts: modality,plane,category,diagnosis,sex,age,location)"* ]]
    run -2 --separate-stderr medcap-csv-clean -t 'diagnosis,' "$CC/medpix2"
    [[ "$stderr" == *"is not a comma-separated list of parts"* ]]
}

@test "chexpert gzip table: view, projection, 14 observations, no finding, labels" {
    run -0 medcap-csv-clean "$CC/chexpert-train-20.csv.gz"
    [ "${#lines[@]}" -eq 20 ]
    assert_line --index 0 '{"id":"patient00001/study1/view1_frontal","image":"CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg","caption":"modality: xr, frontal/lateral: frontal, ap/pa: ap, diagnosis: support devices","split":"train","modality":"xr","view":"frontal","projection":"ap","diagnosis":"support devices","labels":["support devices"],"uncertain":[],"patient_id":"patient00001","sex":"female","age":68}'
    assert_line --index 1 --partial '"caption":"modality: xr, frontal/lateral: frontal, ap/pa: ap, diagnosis: lung opacity, fracture"'
    assert_line --index 1 --partial '"uncertain":["cardiomegaly","edema","consolidation","atelectasis","pleural effusion"]'
    assert_line --index 3 --partial '"caption":"modality: xr, frontal/lateral: lateral, diagnosis: lung opacity, fracture"'
}

@test "chexpert: no finding only when nothing else is positive" {
    printf '%s\n' "$(zcat "$CC/chexpert-train-20.csv.gz" | head -1)" \
        'CheXpert-v1.0-small/valid/patient64541/study1/view1_frontal.jpg,Male,73,Frontal,AP,,,,,,,,,,0.0,,,,' \
        'CheXpert-v1.0-small/valid/patient64542/study1/view1_frontal.jpg,Male,70,Frontal,PA,1.0,,,,,,,,,,,,,' > "$T/valid.csv"
    run -0 medcap-csv-clean "$T/valid.csv"
    assert_line --index 0 --partial '"diagnosis":"no finding","labels":["no finding"]'
    assert_line --index 0 --partial '"split":"dev"'
    assert_line --index 1 --partial '"caption":"modality: xr, frontal/lateral: frontal, ap/pa: pa, diagnosis: no finding"'
}

@test "--uncertain positive and negative decide -1.0 labels" {
    run -0 medcap-csv-clean --uncertain positive "$CC/chexpert-train-20.csv.gz"
    assert_line --index 1 --partial '"diagnosis":"cardiomegaly, lung opacity, edema, consolidation, atelectasis, pleural effusion, fracture"'
    run -0 medcap-csv-clean -u negative "$CC/chexpert-train-20.csv.gz"
    assert_line --index 1 --partial '"diagnosis":"lung opacity, fracture"'
    run -2 --separate-stderr medcap-csv-clean -u maybe "$CC/chexpert-train-20.csv.gz"
    assert_output ""
    [[ "$stderr" == *"--uncertain 'maybe' is not ignore, positive or negative"* ]]
}

@test "chexpert read from standard input, uncompressed, gives the same records" {
    medcap-csv-clean "$CC/chexpert-train-20.csv.gz" > "$T/gz.ndjson"
    zcat "$CC/chexpert-train-20.csv.gz" > "$T/train.csv"
    run -0 medcap-csv-clean < "$T/train.csv"
    [ "$output" = "$(cat "$T/gz.ndjson")" ]
    run -0 medcap-csv-clean - < "$T/train.csv"
    [ "$output" = "$(cat "$T/gz.ndjson")" ]
}

@test "nih table: '|' labels, no finding, patient ids, follow-up" {
    run -0 medcap-csv-clean "$CC/nih-data-entry-10.csv.gz"
    [ "${#lines[@]}" -eq 10 ]
    assert_line --index 1 --partial '{"id":"00000001_001","image":"00000001_001.png","caption":"modality: xr, frontal/lateral: frontal, ap/pa: pa, diagnosis: cardiomegaly, emphysema",'
    assert_line --index 1 --partial '"labels":["cardiomegaly","emphysema"],"patient_id":"1","sex":"male","age":58,"follow_up":1}'
    assert_line --index 3 --partial '"diagnosis":"no finding"'
}

@test "covid metadata: modality, view, finding, licence, folder/filename" {
    run -0 medcap-csv-clean "$CC/cxr-covid/metadata.csv"
    [ "${#lines[@]}" -eq 3 ]
    assert_line --index 0 --partial '{"id":"ARDSSevere","image":"images/ARDSSevere.jpg","caption":"modality: xr, frontal/lateral: frontal, ap/pa: pa, diagnosis: ards",'
    assert_line --index 0 --partial '"license":"CC BY-SA","url":"https://en.wikipedia.org/wiki/File:ARDSSevere.png"'
    assert_line --index 0 --partial '"clinical_notes":"severe ards. person is intubated with an og in place."'
}

@test "covid records feed img-resize with --root (pipeline)" {
    medcap-csv-clean "$CC/cxr-covid" | medcap-img-resize --root "$DATA" --size 16 > "$T/x.frames"
    run -0 medcap-frame-info --count "$T/x.frames"
    assert_output "3"
}

@test "--image-prefix goes before every image path" {
    run -0 medcap-csv-clean --image-prefix data/ "$CC/cxr-covid"
    assert_line --index 0 --partial '"image":"data/images/ARDSSevere.jpg"'
    run -0 medcap-csv-clean --image-prefix nih/ "$CC/nih-data-entry-10.csv.gz"
    assert_line --index 0 --partial '"image":"nih/00000001_000.png"'
}

@test "hashed splits are stable and keep each patient in one split" {
    run -0 medcap-csv-clean "$CC/nih-data-entry-10.csv.gz"
    # Golden: the hash must not change between versions or machines.
    [ "$(printf '%s\n' "${lines[@]}" | sed -E 's/.*"split":"([a-z]+)".*"patient_id":"([0-9]+)".*/\2 \1/' | sort -u | tr '\n' ' ')" = "1 train 2 test 3 train " ]
    run -0 medcap-csv-clean --split a=1,b=1 "$CC/nih-data-entry-10.csv.gz"
    [ "$(printf '%s\n' "${lines[@]}" | grep -c '"split":"a"')" -ge 1 ]
    [ "$(printf '%s\n' "${lines[@]}" | grep -c '"split":"b"')" -ge 1 ]
    [ "$(printf '%s\n' "${lines[@]}" | grep '"patient_id":"3"' | grep -o '"split":"[ab]"' | sort -u | wc -l)" -eq 1 ]
}

@test "--split weights; a data set's own split wins unless --resplit" {
    run -0 medcap-csv-clean --split only=1 "$CC/medpix2"
    assert_output --partial '"split":"dev"'
    refute_output --partial '"split":"only"'
    run -0 medcap-csv-clean --split only=1,never=0 --resplit "$CC/medpix2"
    refute_output --partial '"split":"dev"'
    [ "$(grep -c '"split":"only"' <<< "$output")" -eq 5 ]
}

@test "bad --split specs are usage errors" {
    local spec
    for spec in 'train' 'train=x' 'train=0' 'a=1,a=2' 'a=1,' '=5' 'a b=1' 'a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9'; do
        run -2 --separate-stderr medcap-csv-clean --split "$spec" "$CC/cxr-covid"
        assert_output ""
        [[ "$stderr" == *"medcap-csv-clean: --split: "* ]] || { echo "$spec: $stderr"; return 1; }
    done
}

@test "generic CSV: RFC 4180 quoting, BOM, CRLF, id, patient and split columns, other columns kept" {
    printf '\xef\xbb\xbfimg,report,mrn,uid,site,split\r\na/1.png,"Left  lower lobe, ""patchy""\nopacity",p1,u1,x,\r\nb/2.png,Normal heart size today,p2,u2,,test\r\n' > "$T/t.csv"
    run -0 medcap-csv-clean --image-col img --caption-col report --id-col uid --patient-col mrn "$T/t.csv"
    assert_line --index 0 '{"id":"u1","image":"a/1.png","caption":"left lower lobe, \"patchy\" opacity","split":"train","mrn":"p1","site":"x"}'
    assert_line --index 1 '{"id":"u2","image":"b/2.png","caption":"normal heart size today","split":"test","mrn":"p2"}'
    run -0 medcap-csv-clean --format generic --image-col img --caption-col report "$T/t.csv"
    assert_line --index 0 --partial '{"id":"a/1","image":"a/1.png",'
    assert_line --index 0 --partial '"uid":"u1"'
}

@test "generic option errors are usage errors" {
    printf 'img,report\na.png,some words here\n' > "$T/t.csv"
    run -2 --separate-stderr medcap-csv-clean --image-col img "$T/t.csv"
    [[ "$stderr" == *"--format generic needs --image-col and --caption-col"* ]]
    run -2 --separate-stderr medcap-csv-clean --format nih --image-col img --caption-col report "$T/t.csv"
    [[ "$stderr" == *"need --format generic"* ]]
    run -2 --separate-stderr medcap-csv-clean -t caption --image-col img --caption-col report "$T/t.csv"
    [[ "$stderr" == *"--template does not apply to --format generic"* ]]
    run -2 --separate-stderr medcap-csv-clean --format png "$T/t.csv"
    [[ "$stderr" == *"unknown format 'png'"* ]]
    run -2 --separate-stderr medcap-csv-clean --split
    [[ "$stderr" == *"option '--split' needs a value"* ]]
    assert_output ""
}

@test "generic: a missing column is named, exit 1" {
    printf 'img,report\na.png,some words here\n' > "$T/t.csv"
    run -1 --separate-stderr medcap-csv-clean --image-col img --caption-col text "$T/t.csv"
    assert_output ""
    [ "$stderr" = "medcap-csv-clean: $T/t.csv:1: missing column 'text'" ]
}

@test "a CSV of no known format is an error naming the file" {
    printf 'a,b\n1,2\n' > "$T/t.csv"
    run -1 --separate-stderr medcap-csv-clean "$T/t.csv"
    assert_output ""
    [[ "$stderr" == "medcap-csv-clean: $T/t.csv:1: unknown format: the header matches none of chexpert, nih, covid"* ]]
    printf '{"x":1}\n' > "$T/x.jsonl"
    run -1 --separate-stderr medcap-csv-clean "$T/x.jsonl"
    [[ "$stderr" == *"x.jsonl: unknown format: JSON objects are neither MedPix descriptions"* ]]
}

@test "a forced format must match the file" {
    run -1 --separate-stderr medcap-csv-clean --format chexpert "$CC/cxr-covid/metadata.csv"
    assert_output ""
    [[ "$stderr" == *"metadata.csv:1: missing column 'Path'"* ]]
    run -1 --separate-stderr medcap-csv-clean --format nih "$CC/medpix2/descriptions_dev.jsonl"
    [[ "$stderr" == *"descriptions_dev.jsonl: is JSON, not a nih CSV"* ]]
    run -1 --separate-stderr medcap-csv-clean --format medpix "$CC/cxr-covid/metadata.csv"
    [[ "$stderr" == *"not MedPix JSON"* ]]
    run -0 medcap-csv-clean --format covid "$CC/cxr-covid/metadata.csv"
    [ "${#lines[@]}" -eq 3 ]
}

@test "a malformed CSV row names file and line; --keep-going skips it, exit 5" {
    { zcat "$CC/nih-data-entry-10.csv.gz" | head -1
      echo '00000009_000.png,Mass "big",0,9,60,M,PA,1,1,0.1,0.1'
      zcat "$CC/nih-data-entry-10.csv.gz" | sed -n 2,3p; } > "$T/d.csv"
    run -1 --separate-stderr medcap-csv-clean "$T/d.csv"
    assert_output ""
    [ "$stderr" = "medcap-csv-clean: $T/d.csv:2: malformed CSV: quote inside an unquoted field" ]
    run -5 --separate-stderr medcap-csv-clean --keep-going --stats "$T/d.csv"
    [ "${#lines[@]}" -eq 2 ]
    [[ "$stderr" == *"d.csv:2: malformed CSV: quote inside an unquoted field (skipped)"* ]]
    [[ "$stderr" == *"dropped malformed 1"* ]]
}

@test "a row with the wrong number of fields, an unterminated quote" {
    printf 'img,report\na.png,some words here,extra\n' > "$T/t.csv"
    run -1 --separate-stderr medcap-csv-clean --image-col img --caption-col report "$T/t.csv"
    assert_output ""
    [ "$stderr" = "medcap-csv-clean: $T/t.csv:2: row has 3 fields, the header has 2" ]
    printf 'img,report\na.png,"some words\nhere\n' > "$T/t.csv"
    run -1 --separate-stderr medcap-csv-clean --image-col img --caption-col report "$T/t.csv"
    [ "$stderr" = "medcap-csv-clean: $T/t.csv:2: malformed CSV: unterminated quoted field" ]
}

@test "invalid UTF-8 in a row is malformed" {
    printf 'img,report\na.png,bad \xff byte here\n' > "$T/t.csv"
    run -1 --separate-stderr medcap-csv-clean --image-col img --caption-col report "$T/t.csv"
    assert_output ""
    [ "$stderr" = "medcap-csv-clean: $T/t.csv:2: field 2 is not valid UTF-8" ]
}

@test "an unknown CheXpert label value names the column" {
    { zcat "$CC/chexpert-train-20.csv.gz" | head -1
      echo 'CheXpert-v1.0-small/train/patient00009/study1/view1_frontal.jpg,Male,50,Frontal,AP,,,2.0,,,,,,,,,,,'; } > "$T/c.csv"
    run -1 --separate-stderr medcap-csv-clean "$T/c.csv"
    assert_output ""
    [ "$stderr" = "medcap-csv-clean: $T/c.csv:2: Cardiomegaly is '2.0', not 1.0, 0.0, -1.0 or blank" ]
    { zcat "$CC/chexpert-train-20.csv.gz" | head -1
      echo 'somewhere/view1_frontal.jpg,Male,50,Frontal,AP,,,,,,,,,,,,,,'; } > "$T/c.csv"
    run -1 --separate-stderr medcap-csv-clean "$T/c.csv"
    [ "$stderr" = "medcap-csv-clean: $T/c.csv:2: Path has no patientNNNNN/ folder" ]
}

@test "a malformed MedPix JSON line names file and line; --keep-going goes on" {
    { head -2 "$CC/medpix2/descriptions_dev.jsonl"; echo '{"image": oops}'; echo '[1]'; } > "$T/descriptions_dev.jsonl"
    run -1 --separate-stderr medcap-csv-clean "$T/descriptions_dev.jsonl"
    [ "${#lines[@]}" -eq 2 ]
    [ "$stderr" = "medcap-csv-clean: $T/descriptions_dev.jsonl:3: malformed JSON near column 11" ]
    run -5 --separate-stderr medcap-csv-clean --keep-going "$T/descriptions_dev.jsonl"
    [ "${#lines[@]}" -eq 2 ]
    [[ "$stderr" == *"descriptions_dev.jsonl:4: not a JSON object (skipped)"* ]]
    echo '{"image":"x","Description":{}}' > "$T/descriptions_dev.jsonl"
    run -1 --separate-stderr medcap-csv-clean "$T/descriptions_dev.jsonl"
    assert_output ""
    [[ "$stderr" == *"descriptions_dev.jsonl:1: no string \"U_id\""* ]]
}

@test "empty input, a missing file, an empty folder" {
    : > "$T/empty.csv"
    run -0 --separate-stderr medcap-csv-clean "$T/empty.csv"
    assert_output ""
    [ "$stderr" = "medcap-csv-clean: $T/empty.csv: empty input: nothing written" ]
    run -0 --separate-stderr medcap-csv-clean < /dev/null
    [ "$stderr" = "medcap-csv-clean: -: empty input: nothing written" ]
    run -0 --separate-stderr medcap-csv-clean -q < /dev/null
    [ -z "$stderr" ] && [ -z "$output" ]
    run -3 --separate-stderr medcap-csv-clean "$T/missing.csv"
    assert_output ""
    [ "$stderr" = "medcap-csv-clean: $T/missing.csv: cannot open: No such file or directory" ]
    mkdir "$T/none"
    run -1 --separate-stderr medcap-csv-clean "$T/none"
    [[ "$stderr" == *"none: no data set files"* ]]
}

@test "a truncated gzip file is corrupt input, exit 1" {
    head -c 300 "$CC/chexpert-train-20.csv.gz" > "$T/cut.csv.gz"
    run -1 --separate-stderr medcap-csv-clean "$T/cut.csv.gz"
    [[ "$stderr" == "medcap-csv-clean: $T/cut.csv.gz:"*": corrupt gzip data"* ]]
}

@test "| head ends quietly on a long output" {
    # awk, not a shell loop: bats traces every command of a test body (20000 echos took 13 s)
    { echo 'img,report'; seq 1 20000 | awk '{ print "i" $1 ".png,a caption of several words" }'; } > "$T/big.csv"
    run -0 --separate-stderr bash -c "medcap-csv-clean --image-col img --caption-col report '$T/big.csv' | head -1"
    assert_output '{"id":"i1","image":"i1.png","caption":"a caption of several words","split":"train"}'
    [ -z "$stderr" ]
}

@test "medcap csv-clean dispatches" {
    run -0 medcap csv-clean --template diagnosis "$CC/cxr-covid"
    assert_line --index 0 --partial '"caption":"diagnosis: ards"'
}

@test "sex is male or female in every format; unknown values are left out" {
    local obs='No Finding,Enlarged Cardiomediastinum,Cardiomegaly,Lung Opacity,Lung Lesion,Edema,Consolidation,Pneumonia,Atelectasis,Pneumothorax,Pleural Effusion,Pleural Other,Fracture,Support Devices'
    printf 'Path,Sex,Age,Frontal/Lateral,AP/PA,%s\n' "$obs" > "$T/chexpert.csv"
    for s in Male Female Unknown; do
        printf 'CheXpert-v1.0-small/train/patient0000%s/study1/view1_frontal.jpg,%s,50,Frontal,AP,1.0,,,,,,,,,,,,,\n' "${#s}" "$s"
    done >> "$T/chexpert.csv"
    run -0 bash -c "medcap-csv-clean --format chexpert '$T/chexpert.csv' | jq -r '.sex // \"-\"' | paste -sd ' '"
    assert_output "male female -"
    printf 'Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position\n1.png,No Finding,0,1,50,M,PA\n2.png,No Finding,0,2,50,F,PA\n3.png,No Finding,0,3,50,O,PA\n' > "$T/nih.csv"
    run -0 bash -c "medcap-csv-clean --format nih '$T/nih.csv' | jq -r '.sex // \"-\"' | paste -sd ' '"
    assert_output "male female -"
    printf 'patientid,sex,finding,view,modality,filename\n1,M,Pneumonia,PA,X-ray,a.jpg\n2,F,Pneumonia,PA,X-ray,b.jpg\n3,,Pneumonia,PA,X-ray,c.jpg\n' > "$T/covid.csv"
    run -0 bash -c "medcap-csv-clean --format covid '$T/covid.csv' | jq -r '.sex // \"-\"' | paste -sd ' '"
    assert_output "male female -"
    printf 'img,report,Sex\na.png,one two three,F\nb.png,four five six,Male\nc.png,seven eight nine,unknown\n' > "$T/generic.csv"
    run -0 bash -c "medcap-csv-clean --image-col img --caption-col report '$T/generic.csv' | jq -r '.sex // \"-\"' | paste -sd ' '"
    assert_output "female male -"
    run -0 bash -c "medcap-csv-clean '$CC/medpix2' | jq -r '.sex // \"-\"' | sort -u | paste -sd ' '"
    [[ "$output" =~ ^(-\ )?(female\ )?male$ ]]
}

@test "chest X-ray captions start with the modality, as the COVID ones" {
    run -0 bash -c "medcap-csv-clean '$CC/nih-data-entry-10.csv.gz' | jq -r '.caption' | cut -d, -f1 | sort -u"
    assert_output "modality: xr"
}

@test "a repeated id names both rows, exit 1; --keep-going skips it, exit 5" {
    printf 'img,report,uid\na.png,one two three,1\nb.png,four five six,2\nc.png,seven eight nine,1\n' > "$T/dup.csv"
    run -1 --separate-stderr medcap-csv-clean --image-col img --caption-col report --id-col uid "$T/dup.csv"
    [[ "$stderr" == *"dup.csv:4: duplicate id '1' (first on line 2)"* ]]
    run -5 --separate-stderr medcap-csv-clean --keep-going --image-col img --caption-col report --id-col uid "$T/dup.csv"
    [ "${#lines[@]}" -eq 2 ]
    assert_line --index 1 --partial '"id":"2","image":"b.png"'
    [[ "$stderr" == *"dup.csv:4: duplicate id '1' (first on line 2) (skipped)"* ]]
    # the same file twice: every id of the second is a repeat, named with its file
    run -1 --separate-stderr medcap-csv-clean --format nih "$CC/nih-data-entry-10.csv.gz" "$CC/nih-data-entry-10.csv.gz"
    [[ "$stderr" == *"nih-data-entry-10.csv.gz:2: duplicate id '00000001_000' (first on line 2)"* ]]
}

@test "-k, -s and -w are deprecated spellings of --keep-going, --split and --min-words" {
    run -0 --separate-stderr medcap-csv-clean -k -s train=1 -w 2 "$CC/medpix2"
    [[ "$stderr" == *"warning: -k is deprecated and goes in the next release; use --keep-going"* ]]
    [[ "$stderr" == *"warning: -s is deprecated"*"use --split"* ]]
    [[ "$stderr" == *"warning: -w is deprecated"*"use --min-words"* ]]
    [ "$output" = "$(medcap-csv-clean --keep-going --split train=1 --min-words 2 "$CC/medpix2")" ]
}

@test "a terminal on standard input is a usage error" {
    run -0 script -qec "medcap-csv-clean > '$T/out.ndjson'; echo status \$?" /dev/null
    [[ "$output" == *"medcap-csv-clean: standard input is a terminal: give an input FILE, or pipe a CSV in"*"status 2"* ]]
    [ ! -s "$T/out.ndjson" ]
}
