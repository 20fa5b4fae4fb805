# latency.gp - one PNG of latency distributions (empirical CDFs), for bench/run.
#
#   gnuplot -e "out='X.png'; ttl='TITLE'; files='A.dat B.dat'; labels='a b'" latency.gp
#
# Each .dat file has two columns: a latency in ms, sorted ascending, and the
# fraction of samples at or below it.  labels are single words (no spaces),
# one per file.  The x axis is logarithmic: leasefs and sanlock differ by an
# order of magnitude or more, and a tail shows better that way.

set terminal pngcairo noenhanced size 1000,540 font ",10"
set output out
set title ttl
set xlabel "latency (ms, log scale)"
set ylabel "fraction of operations at or below"
set logscale x
set yrange [0:1.02]
set grid xtics ytics mxtics
set key outside right top
# room right of the slowest sample, which would sit on the border
set offsets graph 0, graph 0.06, 0, 0
set style data steps
plot for [i=1:words(files)] word(files, i) using 1:2 title word(labels, i) lw 2
