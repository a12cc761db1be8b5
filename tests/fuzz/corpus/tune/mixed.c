#define BLOCK 64
static const int N = 1024;   // ar: tune
const double ALPHA = 2.5e-3; /* comment */
float beta = 3.5f;
