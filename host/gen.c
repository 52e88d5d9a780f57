/* PLACEHOLDER: replaced by its owner during the session. */
#include "data_impl.h"
int tb_gen_classification(tb_spec *spec, tb_dataset **out) { (void)spec; (void)out; return tb_error_set(TB_ERR_UNSUPPORTED, "not built yet"); }
int tb_gen_friedman1(tb_spec *spec, tb_dataset **out) { (void)spec; (void)out; return tb_error_set(TB_ERR_UNSUPPORTED, "not built yet"); }
int tb_gen_rectangles(tb_spec *spec, tb_dataset **out) { (void)spec; (void)out; return tb_error_set(TB_ERR_UNSUPPORTED, "not built yet"); }
int tb_gen_convex(tb_spec *spec, tb_dataset **out) { (void)spec; (void)out; return tb_error_set(TB_ERR_UNSUPPORTED, "not built yet"); }
