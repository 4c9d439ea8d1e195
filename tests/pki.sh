# tests/pki.sh DIR - a throwaway PKI for the TLS tests (openssl):
#   ca          EC root;  int: RSA intermediate (pathlen 0) under ca
#   leaf        RSA, by int: localhost, *.localhost, 127.0.0.1, ::1 (chain.pem = leaf + int)
#   noip        EC, by ca: localhost only (no IP entry)
#   wrong       EC, by wrongca (an unrelated root): localhost, 127.0.0.1
#   expired     EC, by ca, valid in January 2020 only
#   leaf.pin    the leaf's "sha256//..." public key pin
#   trailing.pem, badtime.pem, bigchain.pem   hostile chains (below)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
[ -f done ] && exit 0
q() { "$@" >/dev/null 2>&1; }
ec() { q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"; }
rsa() { q openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"; }
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1,IP:::1\n' >leaf.ext
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n' >noip.ext
for r in ca wrongca; do
    ec $r "Test $r"
    q openssl x509 -req -in $r.csr -signkey $r.key -days 3650 -extfile ca.ext -out $r.pem
done
rsa int "Test intermediate"
q openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile int.ext -out int.pem
rsa leaf localhost
q openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -days 825 -extfile leaf.ext -out leaf.pem
cat leaf.pem int.pem >chain.pem
ec noip localhost
q openssl x509 -req -in noip.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -extfile noip.ext -out noip.pem
ec wrong localhost
q openssl x509 -req -in wrong.csr -CA wrongca.pem -CAkey wrongca.key -CAcreateserial -days 825 -extfile leaf.ext -out wrong.pem
# an expired leaf: 'openssl ca' can back-date
mkdir -p db
: >db/index.txt
echo 1000 >db/serial
cat >ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
database = db/index.txt
serial = db/serial
new_certs_dir = db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = leafext
[ anything ]
commonName = supplied
[ leafext ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
ec expired localhost
q openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -notext -startdate 20200101000000Z -enddate 20200201000000Z
printf 'sha256//%s\n' "$(openssl x509 -in leaf.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)" >leaf.pin
# pem_chain DER: a chain of the certificate DER (whatever its bytes) and the intermediate
pem_chain() {
    echo '-----BEGIN CERTIFICATE-----'
    base64 -w 64 "$1"
    echo '-----END CERTIFICATE-----'
    cat int.pem
}
# a hostile chain: the leaf's DER with bytes after its end (a whole second
# certificate, which made BearSSL's decoder read through NULL)
openssl x509 -in leaf.pem -outform DER -out leaf.der
openssl x509 -in int.pem -outform DER -out int.der
cat int.der >>leaf.der
pem_chain leaf.der >trailing.pem
# another: the leaf with its notAfter month "\x0c\xc3" instead of digits
# (BearSSL's decoder, fed again after failing on it, read out of bounds)
openssl x509 -in leaf.pem -outform DER -out badtime.der
perl -0777 -pi -e 's/(\x17\x0d\d{12}Z\x17\x0d\d\d)\d\d/$1\x0c\xc3/s or die' badtime.der
pem_chain badtime.der >badtime.pem
# and a leaf of over 100 KiB (3,000 names), larger than MPERF_MAX_CERT
{
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'
    printf 'subjectAltName=@alt\n[alt]\nDNS.1=localhost\nIP.1=127.0.0.1\n'
    seq 2 3000 | awk '{print "DNS." $1 "=name-" $1 ".of-a-hostile-server.localhost"}'
} >big.ext
q openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -days 825 -extfile big.ext -out big.pem
cat big.pem int.pem >bigchain.pem
touch done
