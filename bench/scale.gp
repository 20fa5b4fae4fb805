# scale.gp - mkdir and lookup cost against the number of leases, and
# acquire + release cost against the number of joined hosts, for bench/run.
#
#   gnuplot -e "out='scale.png'; leases='leases.dat'; hosts='hosts.dat'; sl='sl.dat'" scale.gp
#
# leases.dat: "count mkdir_ms lookup_ms" (medians); hosts.dat: "hosts
# acquire_release_ms" (medians); sl.dat: sanlock's acquire + release at
# its 3 hosts ("hosts ms"), or empty.  Both x axes are logarithmic: the
# targets are about staying flat across orders of magnitude.

set terminal pngcairo noenhanced size 1200,480 font ",10"
set output out
set multiplot layout 1,2
set logscale x
set grid xtics ytics mxtics
set key top left
set style data linespoints
set title "name table: cost by number of leases (medians)"
set xlabel "leases in the lockspace (log scale)"
set ylabel "ms"
set yrange [0:*]
plot leases using 1:2 title "leasefs mkdir" lw 2 pt 7, \
     leases using 1:3 title "leasefs lookup (stat)" lw 2 pt 5
set title "acquire + release (lock open/close) by joined hosts (medians)"
set xlabel "hosts joined (log scale)"
set ylabel "ms"
set logscale y
set yrange [*:*]
plot hosts using 1:2 title "leasefs" lw 2 pt 7, \
     sl using 1:2 title "sanlock (3 hosts, acquire + release)" with points pt 9 ps 2
unset multiplot
