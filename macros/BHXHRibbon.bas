Attribute VB_Name = "BHXHRibbon"
Option Explicit
' Generated from macros/ribbon.toml by `python -m workbook_tools.addin_build`: one callback per button.
' RunPython is xlwings' (module xlwings of this project); the Python module name never depends on the file name.

Sub OnConsolidate(control As IRibbonControl)
    RunPython "import workbook_tools.addin as a; a.run_consolidate()"
End Sub

Sub OnCheck(control As IRibbonControl)
    RunPython "import workbook_tools.addin as a; a.run_check()"
End Sub

Sub OnGenerate(control As IRibbonControl)
    RunPython "import workbook_tools.addin as a; a.run_generate()"
End Sub

Sub OnNextPeriod(control As IRibbonControl)
    RunPython "import workbook_tools.addin as a; a.run_next_period()"
End Sub

Sub OnDaily(control As IRibbonControl)
    RunPython "import workbook_tools.addin as a; a.run_daily()"
End Sub
